package rule

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/pkg/tc"
)

func newCmdList(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List reporting rules",
		Example: "  tcctl rule list\n  tcctl rule list -o json",
		Aliases: []string{"ls"},
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			l, err := c.ListRules(cmd.Context())
			if err != nil {
				return err
			}
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, cmdutil.Items(l.Items))
			}
			return printRules(f.IOStreams, l.Items...)
		},
	}
}

func newCmdGet(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "get <rule>",
		Short:   "Show one reporting rule",
		Example: "  tcctl rule get default",
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			r, err := c.GetRule(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printOne(f, r)
		},
	}
}

type ruleFlags struct {
	name, description, notReporting, autoDelete string
	isDefault, noAutoDelete                     bool
}

func (rf *ruleFlags) add(cmd *cobra.Command, create bool) {
	cmd.Flags().StringVar(&rf.name, "name", "", "unique name")
	cmd.Flags().StringVar(&rf.description, "description", "", "what the rule is for")
	cmd.Flags().StringVar(&rf.notReporting, "not-reporting-after", "", "silence after which an agent is not_reporting (e.g. 3m)")
	cmd.Flags().StringVar(&rf.autoDelete, "auto-delete-after", "", "silence after which an agent is deleted (e.g. 30d)")
	if create {
		cmd.Flags().BoolVar(&rf.isDefault, "default", false, "make it the default rule for new agents")
		_ = cmd.MarkFlagRequired("name")
		_ = cmd.MarkFlagRequired("not-reporting-after")
	} else {
		cmd.Flags().BoolVar(&rf.noAutoDelete, "no-auto-delete", false, "never delete agents on this rule")
	}
}

func (rf *ruleFlags) request(cmd *cobra.Command) (tc.ReportingRuleRequest, error) {
	var req tc.ReportingRuleRequest
	if cmd.Flags().Changed("name") {
		req.Name = &rf.name
	}
	if cmd.Flags().Changed("description") {
		req.Description = &rf.description
	}
	if rf.notReporting != "" {
		s, err := durationFlag("not-reporting-after", rf.notReporting)
		if err != nil {
			return req, err
		}
		req.NotReportingAfter = &s
	}
	if rf.autoDelete != "" && rf.noAutoDelete {
		return req, cmdutil.FlagErrorf("give either --auto-delete-after or --no-auto-delete")
	}
	if rf.autoDelete != "" {
		s, err := durationFlag("auto-delete-after", rf.autoDelete)
		if err != nil {
			return req, err
		}
		req.AutoDeleteAfter = &s
	}
	if rf.noAutoDelete {
		zero := int64(0)
		req.AutoDeleteAfter = &zero
	}
	if rf.isDefault {
		req.IsDefault = &rf.isDefault
	}
	return req, nil
}

func newCmdCreate(f *cmdutil.Factory) *cobra.Command {
	rf := &ruleFlags{}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a reporting rule",
		Example: `  tcctl rule create --name slow-links --not-reporting-after 15m
  tcctl rule create --name ephemeral --not-reporting-after 2m --auto-delete-after 1h --default`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := rf.request(cmd)
			if err != nil {
				return err
			}
			c, err := f.Client()
			if err != nil {
				return err
			}
			r, err := c.CreateRule(cmd.Context(), req)
			if err != nil {
				return err
			}
			cmdutil.Successf(f.IOStreams, "Reporting rule %s created", r.Name)
			return printOne(f, r)
		},
	}
	rf.add(cmd, true)
	return cmd
}

func newCmdEdit(f *cmdutil.Factory) *cobra.Command {
	rf := &ruleFlags{}
	cmd := &cobra.Command{
		Use:     "edit <rule>",
		Short:   "Change a reporting rule",
		Long:    "Change a rule's name, description or thresholds; flags not given stay as they are.",
		Example: "  tcctl rule edit slow-links --not-reporting-after 30m --no-auto-delete",
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := rf.request(cmd)
			if err != nil {
				return err
			}
			c, err := f.Client()
			if err != nil {
				return err
			}
			r, err := c.UpdateRule(cmd.Context(), args[0], req)
			if err != nil {
				return err
			}
			return printOne(f, r)
		},
	}
	rf.add(cmd, false)
	return cmd
}

func newCmdDelete(f *cmdutil.Factory) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "delete <rule>",
		Short: "Delete a reporting rule (its agents move to the default)",
		Long: `Delete a rule; its agents move to the default rule. The default rule cannot
be deleted: make another rule the default first. Asks on a terminal;
elsewhere --yes is required.`,
		Example: "  tcctl rule delete slow-links --yes",
		Aliases: []string{"rm"},
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			if err := cmdutil.Confirm(cmd.Context(), f.IOStreams, yes, fmt.Sprintf("Delete reporting rule %s?", args[0])); err != nil {
				return err
			}
			moved, err := c.DeleteRule(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			cmdutil.Successf(f.IOStreams, "Reporting rule %s deleted; %d agent(s) moved to the default rule", args[0], moved)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func newCmdSetDefault(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "set-default <rule>",
		Short:   "Make a reporting rule the default for new agents",
		Example: "  tcctl rule set-default slow-links",
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			r, err := c.SetDefaultRule(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			cmdutil.Successf(f.IOStreams, "%s is now the default reporting rule", r.Name)
			return printOne(f, r)
		},
	}
}
