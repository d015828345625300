// Package cac holds tcctl's config-as-code verbs: export, diff and apply
// (docs/config-as-code.md). Files are read and written here; validation
// and the change itself are tcd's (POST /api/apply), so diff, apply
// --dry-run and apply agree by construction.
package cac

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/render"
	"github.com/opentc/tc/pkg/tc"
)

// isResourceFile reports whether a file name is a resource document.
func isResourceFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// Load reads the resources of paths: files, and directories (their *.yaml
// and *.yml files; with recursive, those of every subdirectory too), in
// name order. A config's spec.tomlFile is read relative to its document's
// file. Errors name the file and line.
func Load(paths []string, recursive bool) ([]tc.Resource, error) {
	var files, roots []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, errors.Unwrap(err))
		}
		if !info.IsDir() {
			files, roots = append(files, p), append(roots, filepath.Dir(p))
			continue
		}
		var found, deeper []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir // .git and the like
				}
				return nil
			}
			if !isResourceFile(path) {
				return nil
			}
			if filepath.Dir(path) == filepath.Clean(p) || recursive {
				found = append(found, path)
			} else {
				deeper = append(deeper, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		if len(found) == 0 && len(deeper) > 0 {
			return nil, cmdutil.FlagErrorf("%s holds no resource files, its subdirectories hold %d (e.g. %s): add -R to read them", p, len(deeper), deeper[0])
		}
		sort.Strings(found)
		files = append(files, found...)
		for range found {
			roots = append(roots, p)
		}
	}
	var out []tc.Resource
	for i, f := range files {
		rs, err := loadFile(f, roots[i])
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

// MaxFileSize is the largest resource or TOML file tcctl reads (the
// server's own limit on a config is smaller by default: config-max-size).
const MaxFileSize = 16 << 20

// readInside reads path, which must be a regular file of at most
// MaxFileSize bytes inside root once every symbolic link is resolved: a
// resource tree (e.g. a pull request that CI runs tcctl diff on) must not
// make tcctl read, print or upload files from elsewhere on the machine.
func readInside(path, root string) ([]byte, error) {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil, err
	}
	if rel, err := filepath.Rel(realRoot, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return nil, fmt.Errorf("%s is outside %s (files of a resource tree must stay inside it)", path, root)
	}
	// Stat before opening: opening a FIFO for reading would block.
	info, err := os.Stat(real)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	f, err := os.Open(real)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s is larger than %d MiB", path, MaxFileSize>>20)
	}
	return data, nil
}

// loadFile reads the documents of one YAML file of the tree at root.
func loadFile(path, root string) ([]tc.Resource, error) {
	data, err := readInside(path, root)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, unwrapPath(err))
	}
	// Two passes over the same documents: nodes for the line each starts
	// on, strict decoding (unknown fields are errors) for the values.
	nodes := yaml.NewDecoder(bytes.NewReader(data))
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	var out []tc.Resource
	for {
		var n yaml.Node
		err := nodes.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		var r tc.Resource
		if err := strict.Decode(&r); err != nil {
			return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(strings.ReplaceAll(err.Error(), "in type tc.Resource", ""), "yaml: unmarshal errors:\n  "))
		}
		line := n.Line
		if len(n.Content) > 0 {
			line = n.Content[0].Line
		}
		if len(n.Content) == 0 || n.Content[0].Kind == yaml.MappingNode && len(n.Content[0].Content) == 0 ||
			n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null" {
			continue // an empty document (a trailing ---)
		}
		r.Source = &tc.ResourceSource{File: path, Line: line}
		if r.Spec.TOMLFile != "" {
			if r.Kind != tc.KindConfig {
				return nil, fmt.Errorf("%s:%d: spec.tomlFile is a field of a Config only", path, line)
			}
			if r.Spec.TOML != "" {
				return nil, fmt.Errorf("%s:%d: give spec.toml or spec.tomlFile, not both", path, line)
			}
			tf := r.Spec.TOMLFile
			if filepath.IsAbs(tf) {
				return nil, fmt.Errorf("%s:%d: spec.tomlFile %s: give a path relative to the resource file", path, line, tf)
			}
			tf = filepath.Join(filepath.Dir(path), tf)
			b, err := readInside(tf, root)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: spec.tomlFile: read %s: %w", path, line, tf, unwrapPath(err))
			}
			var se *render.SyntaxError
			if errors.As(render.CheckUTF8(string(b)), &se) {
				return nil, fmt.Errorf("%s:%d:%d: %s", tf, se.Line, se.Column, se.Msg)
			}
			r.Spec.TOML, r.Spec.TOMLFile, r.Source.TOMLFile = string(b), "", tf
		}
		out = append(out, r)
	}
	return out, nil
}

// unwrapPath drops the *fs.PathError wrapper (its path is already named).
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
