package config

import (
	"fmt"
	"reflect"

	"go.yaml.in/yaml/v3"
)

// Block is a block of the file that a source owns (sources.registry,
// sources.cost, sources.probe, and each input of sources.audit,
// sources.auth and sources.ci): config reads it, keeps it as YAML and knows
// its key and line, not its keys or values. The source package decodes it
// (Decode: strict, with this package's line-numbered errors), applies its
// defaults and validates it; Errorf places its own errors. So config
// imports no source, and each source's configuration type and validation
// live with the source.
type Block struct {
	node *yaml.Node
	key  string         // dotted path in the file, "sources.cost", "sources.audit[1]"
	file string         // the config file
	dir  string         // its directory: relative paths resolve against it
	keys map[int]string // line -> dotted key of the whole file, for errors
}

var blockType = reflect.TypeOf(Block{})

// UnmarshalYAML keeps the block's node for its owner.
func (b *Block) UnmarshalYAML(n *yaml.Node) error {
	b.node = n
	return nil
}

// bind records where the block is, once the whole file is read.
func (b *Block) bind(key, file, dir string, keys map[int]string) {
	b.key, b.file, b.dir, b.keys = key, file, dir, keys
}

// Key is the block's dotted key in the file ("sources.cost").
func (b *Block) Key() string { return b.key }

// Line is the block's line in the config file.
func (b *Block) Line() int { return b.node.Line }

// Dir is the config file's directory, against which relative paths in the
// block resolve.
func (b *Block) Dir() string { return b.dir }

// Decode decodes the block into v, rejecting keys v has no yaml field for
// (with the closest known one). v's own UnmarshalYAML may apply defaults
// and validate: an error it returns names the line of a value it quotes,
// else the block. Every error reads "FILE:LINE: KEY: message".
func (b *Block) Decode(v any) error {
	if err := checkKnown(b.node, reflect.TypeOf(v), b.key); err != nil {
		return fileErr(b.file, b.keys, err)
	}
	if err := b.node.Decode(v); err != nil {
		return fileErr(b.file, b.keys, blockError(b.node, b.key, err))
	}
	return nil
}

// Errorf is an error of the block's key sub ("" for the block itself),
// placed at the block's line: "FILE:LINE: sources.probe.timeout: message".
func (b *Block) Errorf(sub, format string, args ...any) error {
	return b.ErrorfAt(b.node.Line, sub, format, args...)
}

// ErrorfAt is Errorf placed at another line of the file, one inside the
// block that the error concerns (a nested mapping's, a value's).
func (b *Block) ErrorfAt(line int, sub, format string, args ...any) error {
	key := b.key
	if sub != "" {
		key += "." + sub
	}
	return fileErr(b.file, b.keys, &lineError{line: max(line, 1), key: key, msg: fmt.Sprintf(format, args...)})
}
