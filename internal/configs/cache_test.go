package configs

import "testing"

func TestRenderCacheBounded(t *testing.T) {
	c := newRenderCache(3, 1<<20)
	for i := 0; i < 10; i++ {
		c.put(0, nil, string(rune('a'+i)), &Rendered{Body: []byte("x")})
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
		small.put(0, nil, string(rune('a'+i)), &Rendered{Body: make([]byte, 300)})
	}
	if small.bytes > 1000 {
		t.Fatalf("bytes %d over the bound", small.bytes)
	}
	// A render started before an invalidation is not stored.
	_, gen, _ := small.get("zz")
	small.invalidate()
	small.put(gen, nil, "zz", &Rendered{})
	if _, _, ok := small.get("zz"); ok {
		t.Fatal("stale render stored after invalidation")
	}
}

// Remembered targets are bounded by count and bytes, dropped on
// invalidation, and not stored from an older generation.
func TestRenderCacheTargetsBounded(t *testing.T) {
	c := newRenderCache(100, 10000)
	for i := 0; i < maxTargets+10; i++ {
		c.putSource(0, targetKey{kind: targetConfig, ref: string(rune(i))}, &source{size: 1})
	}
	if len(c.targets) > maxTargets {
		t.Fatalf("%d targets kept", len(c.targets))
	}
	for i := 0; i < 10; i++ {
		c.putSource(0, targetKey{kind: targetGroup, ref: string(rune(i))}, &source{size: 3000})
	}
	if c.targetBytes > 10000 {
		t.Fatalf("%d bytes of targets kept", c.targetBytes)
	}
	c.putSource(0, targetKey{kind: targetGroup, ref: "huge"}, &source{size: 20000})
	if src, _ := c.source(targetKey{kind: targetGroup, ref: "huge"}); src != nil {
		t.Fatal("a target larger than the cache was kept")
	}
	_, gen := c.source(targetKey{})
	c.invalidate()
	if len(c.targets) != 0 || c.targetBytes != 0 {
		t.Fatal("invalidation kept targets")
	}
	c.putSource(gen, targetKey{ref: "old"}, &source{size: 1})
	if src, _ := c.source(targetKey{ref: "old"}); src != nil {
		t.Fatal("a source read before the invalidation was kept")
	}
}

// The ETags kept beyond the bodies are bounded (oldest first out) and
// dropped with the generation.
func TestRenderCacheHeadsBounded(t *testing.T) {
	c := newRenderCache(2, 1<<20)
	src := &source{}
	for i := 0; i < 10*c.maxHeads; i++ {
		c.put(0, src, string(rune(i)), &Rendered{Body: []byte("x"), ETag: `"e"`})
	}
	if len(c.heads) != c.maxHeads || c.maxHeads != 2*headsPerEntry || src.proto == nil {
		t.Fatalf("%d heads kept of at most %d", len(c.heads), c.maxHeads)
	}
	if _, ok := c.heads[c.headKey([]byte(string(rune(10*c.maxHeads-1))))]; !ok {
		t.Fatal("newest head evicted")
	}
	if _, ok := c.heads[c.headKey([]byte(string(rune(0))))]; ok {
		t.Fatal("oldest head kept")
	}
	c.invalidate()
	if len(c.heads) != 0 {
		t.Fatal("invalidation kept heads")
	}
}

// A rendering hit since eviction last passed it is kept once more (second
// chance), so a hot one survives a stream of new ones; one not hit again
// goes.
func TestRenderCacheSecondChance(t *testing.T) {
	c := newRenderCache(4, 1<<20)
	for _, k := range []string{"a", "b", "c", "d"} {
		c.put(0, nil, k, &Rendered{Body: []byte("x")})
	}
	for i := 0; i < 20; i++ {
		if _, _, ok := c.get("a"); !ok {
			t.Fatalf("hot entry evicted after %d new ones", i)
		}
		c.put(0, nil, "n"+string(rune('a'+i)), &Rendered{Body: []byte("x")})
	}
	if c.len() != 4 {
		t.Fatalf("len %d, want 4", c.len())
	}
	for _, k := range []string{"b", "c", "d"} {
		if _, _, ok := c.get(k); ok {
			t.Errorf("%s, never hit again, was kept", k)
		}
	}
}
