package api

import (
	"net/url"
	"reflect"
	"testing"
)

// pollQuery gives what url.ParseQuery gives, errors included, and a
// reused map never carries a key of an earlier query.
func TestPollQueryMatchesParseQuery(t *testing.T) {
	raws := []string{
		"", "agent_id=bench-0000001&region=us-east-1", "a", "a=", "=v", "a=b=c", "&&a=1&&", "a=1&a=2&a=3",
		"a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&a=11", "x=%41", "x=%zz", "x=1;y=2", "x=a+b", "k=v&k",
		"hostname=web-01.example.com&site=eu_1&empty=",
	}
	for i := 0; i < 3; i++ { // a second and third pass reuse pooled maps
		for _, raw := range raws {
			want, wantErr := url.ParseQuery(raw)
			b, err := pollQuery([]byte(raw))
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("%q: error %v, url.ParseQuery %v", raw, err, wantErr)
			}
			if err != nil {
				continue
			}
			got := b.q
			if !reflect.DeepEqual(map[string][]string(got), map[string][]string(want)) {
				t.Fatalf("%q: got %v, want %v", raw, got, want)
			}
			// The strings stay as they were after release, reuse and a
			// change of the buffer parsed (they are not views of it).
			buf := []byte(raw)
			b2, _ := pollQuery(buf)
			strs := map[string][]string{}
			for k, vs := range b2.q {
				strs[k] = append([]string(nil), vs...)
			}
			b2.release()
			for i := range buf {
				buf[i] = 'X'
			}
			if b3, _ := pollQuery([]byte("other=1&zz=2")); b3 != nil {
				b3.release()
			}
			if !reflect.DeepEqual(strs, map[string][]string(want)) {
				t.Fatalf("%q: kept strings changed to %v", raw, strs)
			}
			b.release()
		}
	}
}

func BenchmarkPollQuery(b *testing.B) {
	raw := []byte("agent_id=bench-0012345&region=us-east-1")
	b.ReportAllocs()
	for b.Loop() {
		q, _ := pollQuery(raw)
		_ = q.q.Get("agent_id")
		q.release()
	}
}

func BenchmarkParseQuery(b *testing.B) {
	raw := []byte("agent_id=bench-0012345&region=us-east-1")
	b.ReportAllocs()
	for b.Loop() {
		q, _ := url.ParseQuery(string(raw))
		_ = q.Get("agent_id")
	}
}
