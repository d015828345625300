package api

import (
	"net"
	"sync"
	"testing"
	"time"
)

func TestAuthLimiter(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	l := newAuthLimiter(20, 5, -1, clock)
	a := limiterKey(net.ParseIP("198.51.100.7"))
	for i := 0; i < 5; i++ {
		if ok, _, _ := l.allow(a); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, retry, warn := l.allow(a)
	if ok || retry <= 0 || retry > 3*time.Second || !warn {
		t.Fatalf("after the burst: ok=%v retry=%v warn=%v (20/min: one every 3 s)", ok, retry, warn)
	}
	if _, _, warn := l.allow(a); warn {
		t.Fatal("warned twice within a minute")
	}
	if ok, _, _ := l.allow(limiterKey(net.ParseIP("198.51.100.8"))); !ok {
		t.Fatal("another address is limited too")
	}
	// One IPv6 /64 is one address.
	v6a, v6b := limiterKey(net.ParseIP("2001:db8:1:2::1")), limiterKey(net.ParseIP("2001:db8:1:2:ffff::9"))
	if v6a != v6b || v6a == limiterKey(net.ParseIP("2001:db8:1:3::1")) {
		t.Fatalf("IPv6 keys: %s %s", v6a, v6b)
	}
	mu.Lock()
	now = now.Add(3 * time.Second)
	mu.Unlock()
	if ok, _, _ := l.allow(a); !ok {
		t.Fatal("not refilled after 3 s")
	}
	if l.Limited() != 2 {
		t.Fatalf("limited counter %d", l.Limited())
	}
	if newAuthLimiter(0, 5, 0, clock) != nil {
		t.Fatal("0 per minute must turn the limit off")
	}
	// Memory is bounded: the LRU never holds more than its size.
	for i := 0; i < authLimiterAddresses+100; i++ {
		l.allow(limiterKey(net.IPv4(10, byte(i>>16), byte(i>>8), byte(i))))
	}
	if n := l.buckets.Len(); n != authLimiterAddresses {
		t.Fatalf("%d buckets kept", n)
	}
}

func TestRouteKey(t *testing.T) {
	for in, want := range map[string]string{"/api/auth/login": "/api/auth/login", "/API/Auth/Login/": "/api/auth/login", "/": "/"} {
		if got := routeKey(in); got != want {
			t.Errorf("routeKey(%q) = %q", in, got)
		}
	}
}
