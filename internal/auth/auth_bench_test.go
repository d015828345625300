package auth_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/opentc/tc/internal/auth"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// BenchmarkAuthenticateCacheHit is what every heartbeat and config poll
// pays to verify its token once the credential is cached.
func BenchmarkAuthenticateCacheHit(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, testutil.SQLiteDSN(b), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	svc := auth.NewService(st, auth.Options{BcryptCost: 4})
	if err := svc.BootstrapOwner(ctx, auth.OwnerBootstrap{Username: "root", Email: "root@example.com", Password: "rootpass1"}); err != nil {
		b.Fatal(err)
	}
	var rnd [32]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		b.Fatal(err)
	}
	raw := auth.TokenPrefix + hex.EncodeToString(rnd[:])
	if err := svc.BootstrapToken(ctx, raw); err != nil {
		b.Fatal(err)
	}
	header := "Token " + raw
	p, err := svc.Authenticate(ctx, header)
	if err != nil || !p.Can(tc.Perm(tc.ResHeartbeat, tc.ActWrite)) {
		b.Fatalf("warm-up: %v %v", p, err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := svc.Authenticate(ctx, header); err != nil {
				b.Fatal(err)
			}
		}
	})
}
