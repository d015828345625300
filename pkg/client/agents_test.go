package client

import (
	"net/url"
	"testing"
)

func TestAgentSegment(t *testing.T) {
	for id, want := range map[string]string{
		"web-01":      "web-01",
		"site/web-01": "site%2Fweb-01",
		"a b":         "a%20b",
		"100%":        "100%25",
		"x?y":         "x%3Fy",
		"ünï":         "%C3%BCn%C3%AF",
		".":           "%2E",
		"..":          "%2E%2E",
		"a.b":         "a.b",
		"summary":     "%73ummary",
		"Bulk":        "%42ulk",
		"summary-1":   "summary-1",
	} {
		got := agentSegment(id)
		if got != want {
			t.Errorf("agentSegment(%q) = %q, want %q", id, got, want)
		}
		if back, err := url.PathUnescape(got); err != nil || back != id {
			t.Errorf("agentSegment(%q) = %q decodes to %q (%v)", id, got, back, err)
		}
	}
	if _, err := agentPath("", ""); err == nil {
		t.Fatal("an empty agent ID was accepted")
	}
}
