package yum

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeFast(t *testing.T) {
	for name, data := range buildEdge(t) {
		meta := artifactOf(t, 0, data, name, "", testBuild().Now).Meta
		fast, ok := decodeFast(meta)
		if !ok {
			t.Errorf("%s: decodeFast refused Inspect's output:\n%s", name, meta)
			continue
		}
		var slow Package
		if err := json.Unmarshal(meta, &slow); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(&slow, fast); diff != "" {
			t.Errorf("%s: decodeFast differs from encoding/json (-json +fast):\n%s", name, diff)
		}
	}
	for _, in := range []string{
		`{"name":null}`, `{"NAME":"x"}`, `{"epoch":-1}`, `{"epoch":1e3}`, `{"epoch":01}`,
		`{"name":"\ud83d\ude00"}`, "{\"name\":\"\xff\"}", `{"name":"x"} x`, `{"name":"x",}`, `{"files":[{"path":"a"},]}`,
		`[]`, `{"pre":true}`, `{"requires":[{"pre":1}]}`, `{"name":"a\qb"}`, `{"epoch":18446744073709551616}`,
		`{"files":[{"path":"a","type":"dir"}],"files":[{"path":"b"}]}`,
	} {
		if _, ok := decodeFast([]byte(in)); ok {
			t.Errorf("decodeFast(%s) accepted it; it must leave it to encoding/json", in)
		}
	}
}

// FuzzDecodeMeta checks that the fast decoder, where it accepts its input,
// gives exactly what encoding/json gives.
func FuzzDecodeMeta(f *testing.F) {
	for name, data := range buildEdge(f) {
		f.Add([]byte(artifactOf(f, 0, data, name, "", testBuild().Now).Meta))
	}
	f.Add([]byte(`{"name":"a\u003cb\n","files":[],"requires":[{"name":"x","pre":false}],"epoch":0}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := decodeFast(data)
		if !ok {
			DecodeMeta(data)
			return
		}
		var slow Package
		if err := json.Unmarshal(data, &slow); err != nil {
			t.Fatalf("decodeFast accepted what encoding/json refuses (%v): %q", err, data)
		}
		if diff := cmp.Diff(&slow, fast); diff != "" {
			t.Fatalf("decodeFast differs from encoding/json on %q (-json +fast):\n%s", data, diff)
		}
	})
}
