package configs

import "testing"

func TestRenderCacheBounded(t *testing.T) {
	c := newRenderCache(3, 1<<20)
	for i := 0; i < 10; i++ {
		c.put(0, string(rune('a'+i)), &Rendered{Body: []byte("x")})
	}
	if c.len() != 3 {
		t.Fatalf("len %d", c.len())
	}
	if _, _, ok := c.get("j"); !ok {
		t.Fatal("newest entry evicted")
	}
	if _, _, ok := c.get("a"); ok {
		t.Fatal("oldest entry kept")
	}
	small := newRenderCache(100, 1000)
	for i := 0; i < 10; i++ {
		small.put(0, string(rune('a'+i)), &Rendered{Body: make([]byte, 300)})
	}
	if small.bytes > 1000 {
		t.Fatalf("bytes %d over the bound", small.bytes)
	}
	// A render started before an invalidation is not stored.
	_, gen, _ := small.get("zz")
	small.invalidate()
	small.put(gen, "zz", &Rendered{})
	if _, _, ok := small.get("zz"); ok {
		t.Fatal("stale render stored after invalidation")
	}
}
