package main

import "testing"

func TestReportKeepsNotes(t *testing.T) {
	old := "# Soak results\n\nold figures\n\n" + notesMark + "\n## Notes\n\nby hand\n"
	got := withNotes("# Soak results\n\nnew figures\n", old)
	want := "# Soak results\n\nnew figures\n\n" + notesMark + "\n## Notes\n\nby hand\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := withNotes("new\n", "no notes\n"); got != "new\n" {
		t.Errorf("without notes: %q", got)
	}
}
