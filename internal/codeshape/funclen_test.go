package codeshape

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// MaxFuncLines is the longest a function (or method) of non-test code may
// be, from its func line to its closing brace.
const MaxFuncLines = 120

// knownLong are the directories (slash paths from the repository root)
// whose functions may still be longer, each until its planned split. None
// today; an entry must name the split that will remove it.
var knownLong = map[string]bool{}

// TestNoLongFunctions fails for every function of non-test Go code in the
// repository longer than MaxFuncLines, outside knownLong.
func TestNoLongFunctions(t *testing.T) {
	root := repoRoot(t)
	long, err := longFunctions(root, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(long) == 0 {
		t.Fatal("no Go file was read: is the repository root right?")
	}
	excused := map[string]bool{}
	for _, f := range long {
		if f.lines <= MaxFuncLines {
			continue
		}
		if dir := knownDir(f.file); dir != "" {
			excused[dir] = true
			continue
		}
		t.Errorf("%s:%d: %s is %d lines, more than %d: split it", f.file, f.line, f.name, f.lines, MaxFuncLines)
	}
	for dir := range knownLong {
		if !excused[dir] {
			t.Errorf("%s has no function over %d lines any more: remove it from knownLong", dir, MaxFuncLines)
		}
	}
}

// TestLongFunctionsCounted: the count runs from the func line to the
// closing brace, methods and functions alike, and test files are not read.
func TestLongFunctionsCounted(t *testing.T) {
	dir := t.TempDir()
	body := func(name string, n int) string {
		return name + " {\n" + strings.Repeat("\t_ = 0\n", n-2) + "}\n"
	}
	src := "package p\n\ntype T struct{}\n\n" + body("func short()", 3) + body("func (T) m()", MaxFuncLines+1) + body("func exact()", MaxFuncLines)
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "p_test.go"), []byte("package p\n\n"+body("func inTest()", 500)), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := longFunctions(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, f := range got {
		s = append(s, fmt.Sprintf("%s:%s:%d", f.file, f.name, f.lines))
	}
	want := fmt.Sprintf("[p.go:short:3 p.go:T.m:%d p.go:exact:%d]", MaxFuncLines+1, MaxFuncLines)
	if fmt.Sprint(s) != want {
		t.Errorf("got %v\nwant %s", s, want)
	}
}

type funcLen struct {
	file        string // slash path from the root
	line, lines int
	name        string
}

// longFunctions lists the functions of the non-test Go files under root
// longer than over lines, in file order. It skips testdata, vendor and
// hidden directories, as the go tool does.
func longFunctions(root string, over int) ([]funcLen, error) {
	var out []funcLen
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			start, end := fset.Position(fd.Pos()).Line, fset.Position(fd.End()).Line
			if n := end - start + 1; n > over {
				out = append(out, funcLen{file: filepath.ToSlash(rel), line: start, lines: n, name: funcName(fd)})
			}
		}
		return nil
	})
	return out, err
}

func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
			continue
		case *ast.IndexExpr:
			t = x.X
			continue
		case *ast.IndexListExpr:
			t = x.X
			continue
		case *ast.Ident:
			return x.Name + "." + fd.Name.Name
		}
		return fd.Name.Name
	}
}

func knownDir(file string) string {
	dirs := make([]string, 0, len(knownLong))
	for d := range knownLong {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		if strings.HasPrefix(file, d) {
			return d
		}
	}
	return ""
}

// repoRoot is the directory holding go.mod, above the test's.
func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}
