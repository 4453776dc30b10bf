package tail_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/heady/heady-metrics/exporter/source/tail"
)

// The consumer applies each batch, then saves the batch's positions
// together with its own state; a restart resumes from what was saved.
func Example() {
	dir, _ := os.MkdirTemp("", "tail-example")
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "audit.jsonl"), []byte("{\"n\":1}\n{\"n\":2}\n{\"n\":3"), 0o644); err != nil {
		fmt.Println(err)
		return
	}

	var checkpoint []byte // stands for the engine's state file
	follow := func() {
		var saved []tail.Position
		if checkpoint != nil {
			if err := json.Unmarshal(checkpoint, &saved); err != nil {
				fmt.Println(err)
				return
			}
		}
		f, err := tail.New(tail.Config{Paths: []string{filepath.Join(dir, "audit.jsonl*")}}, saved, time.Now)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer f.Close()
		err = f.Poll(context.Background(), func(b tail.Batch) error {
			for _, l := range b.Lines {
				fmt.Printf("line %d: %s\n", l.Num, l.Text)
			}
			// Save the engine's state and these positions in one atomic write.
			var err error
			checkpoint, err = json.Marshal(b.Positions)
			return err
		})
		if err != nil {
			fmt.Println(err)
		}
	}

	follow()
	f, _ := os.OpenFile(filepath.Join(dir, "audit.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	if _, err := f.WriteString("}\n{\"n\":4}\n"); err != nil {
		fmt.Println(err)
	}
	if err := f.Close(); err != nil {
		fmt.Println(err)
	}
	follow() // a restart: lines 1 and 2 are not delivered again
	// Output:
	// line 1: {"n":1}
	// line 2: {"n":2}
	// line 3: {"n":3}
	// line 4: {"n":4}
}
