// Command tcbench measures a tcd on this machine: heartbeat and config
// polling load, a baseline of what the machine's HTTP stack can do at all,
// fleet seeding, and start-to-ready time and memory. It only talks to
// 127.0.0.1, and every loop is bounded in count and time.
package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/bench"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	root := newRoot(stdout)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "tcbench:", err)
		return 1
	}
	return 0
}

type common struct {
	token       string
	concurrency int
	duration    time.Duration
	count       int64
	baseline    bool
}

func (c *common) register(cmd *cobra.Command, conc int) {
	cmd.Flags().StringVar(&c.token, "token", os.Getenv("TCBENCH_TOKEN"), "API token sent as \"Authorization: Token …\" [TCBENCH_TOKEN]")
	cmd.Flags().IntVarP(&c.concurrency, "concurrency", "c", conc, "requests in flight (one connection each)")
	cmd.Flags().DurationVarP(&c.duration, "duration", "d", 10*time.Second, "how long to run (at most 1h)")
	cmd.Flags().Int64VarP(&c.count, "count", "n", 0, "stop after this many requests (0: run for --duration)")
	cmd.Flags().BoolVar(&c.baseline, "baseline", true, "run the same load against the built-in minimal endpoint first and print the ratio")
}

func (c *common) load() bench.Load {
	return bench.Load{Concurrency: c.concurrency, Duration: c.duration, Count: c.count}
}

func newRoot(stdout io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "tcbench",
		Short: "Measure a tcd on this machine",
		Long: `tcbench loads a tcd running on this machine and prints throughput, latency
percentiles and errors by status. Each load also runs against a minimal fiber
endpoint the tool starts itself (the baseline), so results read as a ratio of
what this machine can do at all; absolute numbers vary between machines.

tcbench only targets 127.0.0.1, and every run is bounded (at most 1 h,
100 million requests).`,
		Example: `  # A tcd for measuring, with a known all-access token
  export TCBENCH_TOKEN=tc-apiv1_$(openssl rand -hex 32)
  OWNER_USERNAME=admin OWNER_EMAIL=a@example.com OWNER_PASSWORD=benchpass1 \
    OWNER_TOKEN=$TCBENCH_TOKEN tcd --database /tmp/bench.db &

  tcbench seed --agents 100000
  tcbench heartbeat --agents 100000 -c 64 -d 60s --ack-file /tmp/acks
  tcbench config --create 10 -c 32 -d 20s --method HEAD
  tcbench baseline -c 64 -d 10s`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(heartbeatCmd(stdout), seedCmd(stdout), configCmd(stdout), baselineCmd(stdout), startCmd(stdout))
	return root
}

type hbFlags struct {
	common
	url, prefix, ackFile, configURL string
	agents                          int
	counterBase                     uint64
}

func (f *hbFlags) register(cmd *cobra.Command) {
	f.common.register(cmd, 64)
	cmd.Flags().StringVar(&f.url, "url", "http://127.0.0.1:8000", "heartbeat listener")
	cmd.Flags().IntVar(&f.agents, "agents", 10000, "distinct simulated agents")
	cmd.Flags().StringVar(&f.prefix, "prefix", "bench-", "agent ID prefix (IDs are <prefix><7 digits>)")
	cmd.Flags().Uint64Var(&f.counterBase, "counter-base", uint64(time.Now().Unix())*1000, "statistics.metrics starts above this (default grows with the clock, so reruns keep counters increasing)")
	cmd.Flags().StringVar(&f.configURL, "config-url", "http://127.0.0.1:8888/api/configs/bench/toml", "configuration URL the agents report (empty: none)")
}

func (f *hbFlags) options() bench.HeartbeatOptions {
	return bench.HeartbeatOptions{URL: f.url, Token: f.token, Agents: f.agents, Prefix: f.prefix, CounterBase: f.counterBase,
		ConfigURL: f.configURL, Load: f.load()}
}

func heartbeatCmd(stdout io.Writer) *cobra.Command {
	f := &hbFlags{}
	var (
		floodConns int
		apiURL     string
	)
	cmd := &cobra.Command{
		Use:   "heartbeat",
		Short: "Send heartbeats from N simulated agents",
		Long: `Each simulated agent sends schema-v1 bodies shaped like Telegraf 1.39's, one
after another, with statistics.metrics one higher each time. With --ack-file
every acknowledged (2xx) heartbeat is written as "<agent-id> <counter>".`,
		Example: `  tcbench heartbeat --agents 100000 -c 64 -d 60s
  tcbench heartbeat --agents 1000 -n 50000 --ack-file acks.txt --baseline=false

  # the same load twice: alone, then beside failed logins over 32 connections
  tcbench heartbeat --agents 100000 -c 64 -d 30s --login-flood 32 --baseline=false`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o := f.options()
			var base *bench.Result
			if f.baseline {
				b, err := bench.StartBaseline()
				if err != nil {
					return err
				}
				bo := o
				bo.URL, bo.Prefix = b.URL(), "baseline-"
				base, err = bench.Heartbeats(cmd.Context(), bo)
				_ = b.Close()
				if err != nil {
					return err
				}
				base.Name = "baseline heartbeat"
				fmt.Fprint(stdout, bench.Report(base, nil))
			}
			if f.ackFile != "" {
				af, err := os.Create(f.ackFile)
				if err != nil {
					return err
				}
				defer af.Close()
				o.Ack = af
			}
			r, err := bench.Heartbeats(cmd.Context(), o)
			if err != nil {
				return err
			}
			if floodConns > 0 {
				r.Name = "heartbeat, no flood"
			}
			fmt.Fprint(stdout, bench.Report(r, base))
			if floodConns > 0 {
				return floodRun(cmd.Context(), stdout, o, r, floodConns, apiURL)
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&f.ackFile, "ack-file", "", "write every acknowledged heartbeat as \"<agent-id> <counter>\" to this file")
	cmd.Flags().IntVar(&floodConns, "login-flood", 0, "then run the same heartbeat load again beside failed logins over this many connections to --api-url, and print both and their ratio")
	cmd.Flags().StringVar(&apiURL, "api-url", "http://127.0.0.1:8888", "tcd's API, for --login-flood")
	return cmd
}

// floodRun runs the heartbeat load o a second time while failed logins
// flood the API over conns connections, and reports the heartbeats, the
// flood, and the heartbeat throughput as a share of the run without it.
func floodRun(ctx context.Context, stdout io.Writer, o bench.HeartbeatOptions, alone *bench.Result, conns int, apiURL string) error {
	fctx, stop := context.WithCancel(ctx)
	defer stop()
	var (
		flood    *bench.Result
		floodErr error
		done     = make(chan struct{})
	)
	go func() {
		defer close(done)
		flood, floodErr = bench.LoginFlood(fctx, bench.LoginFloodOptions{URL: apiURL,
			Load: bench.Load{Concurrency: conns, Duration: bench.MaxDuration}})
	}()
	time.Sleep(time.Second)  // the flood runs before the measured heartbeats start
	o.CounterBase += 1 << 32 // counters keep growing past the first run's
	r, err := bench.Heartbeats(ctx, o)
	stop()
	<-done
	if err != nil {
		return err
	}
	if floodErr != nil {
		return floodErr
	}
	r.Name = "heartbeat during flood"
	fmt.Fprint(stdout, bench.Report(r, nil))
	fmt.Fprintf(stdout, "%-22s %.1f %% of the run without the flood (%.0f req/s)\n", "  ratio", 100*r.Throughput()/alone.Throughput(), alone.Throughput())
	fmt.Fprint(stdout, bench.Report(flood, nil))
	return nil
}

func seedCmd(stdout io.Writer) *cobra.Command {
	f := &hbFlags{}
	cmd := &cobra.Command{
		Use:     "seed",
		Short:   "Fill a tcd with N agents (one heartbeat each)",
		Example: "  tcbench seed --agents 1000000 -c 64",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := bench.Seed(cmd.Context(), f.options())
			if err != nil {
				return err
			}
			r.Name = "seed"
			fmt.Fprint(stdout, bench.Report(r, nil))
			if r.ErrorCount() > 0 {
				return fmt.Errorf("%d heartbeats were refused", r.ErrorCount())
			}
			return nil
		},
	}
	f.register(cmd)
	_ = cmd.Flags().MarkHidden("baseline")
	return cmd
}

// benchTemplate uses two parameters, one with a default, and a constant-free
// body of a realistic size.
const benchTemplate = `[agent]
  interval = "10s"
  flush_interval = "10s"
  hostname = "&{agent_id}"

[global_tags]
  region = "&{region:eu-1}"

[[inputs.cpu]]
  percpu = true
  totalcpu = true

[[inputs.mem]]

[[outputs.file]]
  files = ["stdout"]
  data_format = "influx"
`

func configCmd(stdout io.Writer) *cobra.Command {
	var (
		f       common
		base    string
		refs    []string
		create  int
		methods string
		params  []string
		agents  int
		idParam string
		rollout bool
		warm    bool
		keep    bool
	)
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Poll configs with GET (with parameters) and HEAD",
		Long: `Polls GET/HEAD /api/configs/<ref>/toml round-robin over the named configs
(--config) or over configs it creates (--create, needs a token that may write
configs). Both methods send two parameters (agent_id and region), as Telegraf
polls the URL it was started with.

--agents N sends N agent identities in turn (agent_id=bench-0000000 …, the
parameter named by --id-param), agent i polling config i mod the number of
configs: tcd records who fetched what (to measure without recording, start
tcd with --agent-id-param set to a name tcbench does not send). --rollout (with
--agents, a token that may write configs) first has every agent fetch once,
then starts a rollout of each config to a new version with stages 50%,100%
(half of the agents are served the new version) and measures with the
rollouts running; they are aborted at the end.`,
		Example: `  tcbench config --create 10 --method GET,HEAD -c 32 -d 20s
  tcbench config --create 10 --agents 100000 --rollout -d 20s
  tcbench config --config my-alias --method HEAD -d 30s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if create > 0 {
				if create > 1000 {
					return fmt.Errorf("--create is at most 1000")
				}
				if _, err := bench.CheckLoopback(base); err != nil {
					return err
				}
				c, err := client.New(base, client.WithToken(f.token))
				if err != nil {
					return err
				}
				stamp := strconv.FormatInt(time.Now().UnixNano(), 36)
				for i := 0; i < create; i++ {
					cfg, err := c.CreateConfig(ctx, tc.CreateConfigRequest{Name: fmt.Sprintf("tcbench-%s-%d", stamp, i), TOML: benchTemplate})
					if err != nil {
						return fmt.Errorf("create config: %w", err)
					}
					refs = append(refs, cfg.ID)
				}
				fmt.Fprintf(stdout, "created %d configs\n", create)
			}
			if len(refs) == 0 {
				return fmt.Errorf("name configs with --config or create some with --create")
			}
			q := url.Values{}
			for _, p := range params {
				k, v, _ := strings.Cut(p, "=")
				q.Add(k, v)
			}
			if (rollout || warm) && agents <= 0 {
				return fmt.Errorf("--rollout and --warm need --agents")
			}
			if warm && !rollout {
				w := bench.ConfigOptions{BaseURL: base, Token: f.token, Configs: refs, Method: "GET", Params: q, Agents: agents, IDParam: idParam,
					Load: bench.Load{Concurrency: f.concurrency, Count: int64(agents)}}
				wr, err := bench.Configs(ctx, w)
				if err != nil {
					return err
				}
				fmt.Fprintf(stdout, "every agent fetched once: %d requests in %s\n", wr.OK, wr.Elapsed.Round(time.Millisecond))
				time.Sleep(3 * time.Second)
			}
			if rollout {
				c, err := client.New(base, client.WithToken(f.token))
				if err != nil {
					return err
				}
				warm := bench.ConfigOptions{BaseURL: base, Token: f.token, Configs: refs, Method: "GET", Params: q, Agents: agents, IDParam: idParam,
					Load: bench.Load{Concurrency: f.concurrency, Count: int64(agents)}}
				wr, err := bench.Configs(ctx, warm)
				if err != nil {
					return err
				}
				fmt.Fprintf(stdout, "every agent fetched once: %d requests in %s\n", wr.OK, wr.Elapsed.Round(time.Millisecond))
				time.Sleep(3 * time.Second) // the served records are written every second
				var started []string
				for i, ref := range refs {
					toml := benchTemplate + fmt.Sprintf("\n# rollout %d\n", i)
					r, err := c.StartRollout(ctx, tc.StartRolloutRequest{Config: ref, TOML: &toml, Timeout: "1h",
						Stages: []tc.RolloutStage{{Percent: 50}, {Percent: 100}}})
					if err != nil {
						return fmt.Errorf("start a rollout of %s: %w", ref, err)
					}
					started = append(started, r.ID)
					if i == 0 {
						fmt.Fprintf(stdout, "rollout %s: stage 1 has %d agents\n", r.ID, r.Stages[0].Agents)
					}
				}
				fmt.Fprintf(stdout, "started %d rollouts (50%% of the agents get the new version)\n", len(started))
				defer func() {
					if keep {
						fmt.Fprintf(stdout, "rollouts left running (--keep-rollouts): %s\n", strings.Join(started, " "))
						return
					}
					for _, id := range started {
						if _, err := c.RolloutAction(context.WithoutCancel(ctx), id, "abort", "tcbench done"); err != nil {
							fmt.Fprintf(stdout, "abort rollout %s: %v\n", id, err)
						}
					}
				}()
			}
			var b *bench.Baseline
			if f.baseline {
				var err error
				if b, err = bench.StartBaseline(); err != nil {
					return err
				}
				defer b.Close()
			}
			for _, m := range strings.Split(methods, ",") {
				// Telegraf sends HEAD to the same URL it GETs, parameters included.
				o := bench.ConfigOptions{BaseURL: base, Token: f.token, Configs: refs, Method: strings.TrimSpace(m), Params: q, Load: f.load(),
					Agents: agents, IDParam: idParam}
				var baseRes *bench.Result
				if b != nil {
					bo := o
					bo.BaseURL = b.URL()
					r, err := bench.Configs(ctx, bo)
					if err != nil {
						return err
					}
					r.Name = "baseline " + r.Name
					fmt.Fprint(stdout, bench.Report(r, nil))
					baseRes = r
				}
				r, err := bench.Configs(ctx, o)
				if err != nil {
					return err
				}
				fmt.Fprint(stdout, bench.Report(r, baseRes))
			}
			return nil
		},
	}
	f.register(cmd, 32)
	cmd.Flags().StringVar(&base, "url", "http://127.0.0.1:8888", "API listener")
	cmd.Flags().StringSliceVar(&refs, "config", nil, "config ID or alias to poll (repeatable)")
	cmd.Flags().IntVar(&create, "create", 0, "create this many configs (template with two parameters) and poll them")
	cmd.Flags().StringVar(&methods, "method", "GET,HEAD", "GET, HEAD or both, comma-separated (each runs for --duration)")
	cmd.Flags().StringSliceVar(&params, "param", []string{"agent_id=bench-0000001", "region=us-east-1"}, "query parameter as name=value (repeatable)")
	cmd.Flags().IntVar(&agents, "agents", 0, "send this many agent identities in turn (0: the --param values only)")
	cmd.Flags().StringVar(&idParam, "id-param", "agent_id", "query parameter carrying the identity with --agents")
	cmd.Flags().BoolVar(&keep, "keep-rollouts", false, "with --rollout: leave the rollouts running at the end (to measure other loads beside them)")
	cmd.Flags().BoolVar(&warm, "warm", false, "with --agents: have every agent fetch once before measuring (a fleet in steady state)")
	cmd.Flags().BoolVar(&rollout, "rollout", false, "with --agents: run the load while a rollout of each config serves half the agents a new version")
	return cmd
}

func baselineCmd(stdout io.Writer) *cobra.Command {
	var f common
	var agents int
	cmd := &cobra.Command{
		Use:   "baseline",
		Short: "Measure the built-in minimal endpoint alone",
		Long: `Starts a minimal fiber endpoint on 127.0.0.1 and runs heartbeat, config GET
and config HEAD load against it: the ceiling of this machine with this HTTP
stack and this load generator beside it.`,
		Example: "  tcbench baseline -c 64 -d 10s",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := bench.StartBaseline()
			if err != nil {
				return err
			}
			defer b.Close()
			ctx := cmd.Context()
			r, err := bench.Heartbeats(ctx, bench.HeartbeatOptions{URL: b.URL(), Agents: agents, Prefix: "baseline-", Load: f.load()})
			if err != nil {
				return err
			}
			r.Name = "baseline heartbeat"
			fmt.Fprint(stdout, bench.Report(r, nil))
			for _, m := range []string{"GET", "HEAD"} {
				r, err := bench.Configs(ctx, bench.ConfigOptions{BaseURL: b.URL(), Configs: []string{"bench"}, Method: m,
					Params: url.Values{"agent_id": {"a"}, "region": {"r"}}, Load: f.load()})
				if err != nil {
					return err
				}
				r.Name = "baseline " + r.Name
				fmt.Fprint(stdout, bench.Report(r, nil))
			}
			return nil
		},
	}
	f.register(cmd, 64)
	_ = cmd.Flags().MarkHidden("baseline")
	_ = cmd.Flags().MarkHidden("token")
	cmd.Flags().IntVar(&agents, "agents", 10000, "distinct simulated agents")
	return cmd
}

func startCmd(stdout io.Writer) *cobra.Command {
	var (
		ready   string
		timeout time.Duration
		hold    time.Duration
	)
	cmd := &cobra.Command{
		Use:   "start -- COMMAND [ARG...]",
		Short: "Start tcd, time start to ready, and report its resident memory",
		Long: `Runs the command, polls --ready until it answers 200, prints the time that
took and the process's resident memory (VmRSS, VmHWM) then and after --hold,
and stops the process with SIGTERM.`,
		Example: `  tcbench start --hold 10s -- ./bin/tcd --database /tmp/bench.db`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			u, err := bench.CheckLoopback(ready)
			if err != nil {
				return err
			}
			p := exec.Command(args[0], args[1:]...)
			p.Stderr = io.Discard
			if err := p.Start(); err != nil {
				return err
			}
			defer func() { _ = p.Process.Signal(syscall.SIGTERM); _ = p.Wait() }()
			readyIn, err := bench.WaitReady(cmd.Context(), u.String(), timeout)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "start to ready   %s\n", readyIn.Round(time.Millisecond))
			rss, hwm := bench.Memory(p.Process.Pid)
			fmt.Fprintf(stdout, "memory at ready  VmRSS %d MB  VmHWM %d MB\n", rss>>20, hwm>>20)
			if hold > 0 {
				select {
				case <-time.After(min(hold, bench.MaxDuration)):
				case <-cmd.Context().Done():
				}
				rss, hwm = bench.Memory(p.Process.Pid)
				fmt.Fprintf(stdout, "memory after %s VmRSS %d MB  VmHWM %d MB\n", hold, rss>>20, hwm>>20)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&ready, "ready", "http://127.0.0.1:8888/health/ready", "readiness URL")
	cmd.Flags().DurationVar(&timeout, "timeout", time.Minute, "give up after")
	cmd.Flags().DurationVar(&hold, "hold", 0, "keep it running this long and report memory again")
	return cmd
}
