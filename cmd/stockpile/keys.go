package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/stockpile/stockpile/generator"
)

func runKeys(ctx context.Context, e *env, args []string) error {
	sub := map[string]func(context.Context, *env, []string) error{
		"create":    runKeysCreate,
		"list":      runKeysList,
		"export":    runKeysExport,
		"rotate":    runKeysRotate,
		"sign-root": runKeysSignRoot,
	}
	if len(args) == 0 || sub[args[0]] == nil {
		return usageError{"keys: the subcommand is one of create, list, export, rotate, sign-root"}
	}
	return sub[args[0]](ctx, e, args[1:])
}

// keysFlags makes the flag set of a keys subcommand, with -C.
func keysFlags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("keys "+name, flag.ContinueOnError)
	return fs, fs.String("C", ".", "the registry repository")
}

func runKeysCreate(ctx context.Context, e *env, args []string) error {
	fs, dir := keysFlags("create")
	ifMissing := fs.Bool("if-missing", false, "keep the keys that exist and make only the missing ones")
	if pos, err := parse(fs, e, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError{"keys create takes no arguments"}
	}
	now, err := e.now()
	if err != nil {
		return err
	}
	created, err := generator.CreateKeys(generator.KeyOptions{Dir: *dir, Now: now, IfMissing: *ifMissing, Getenv: e.getenv})
	if created {
		fmt.Fprintln(e.stderr, "created the missing development keys (private halves in .stockpile/keys, public ones in keys/ and tuf/root.json)")
	}
	return err
}

func runKeysList(ctx context.Context, e *env, args []string) error {
	fs, dir := keysFlags("list")
	asJSON := fs.Bool("json", false, "print a machine-readable list on stdout")
	if pos, err := parse(fs, e, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError{"keys list takes no arguments"}
	}
	roles, err := generator.ListTUFKeys(ctx, *dir, e.getenv)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, roles)
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ROLE\tTHRESHOLD\tKEY ID\tTRUSTED\tREFERENCE")
	for _, r := range roles {
		for _, k := range r.Keys {
			id, trusted := k.KeyID, "yes"
			if k.Error != "" {
				id, trusted = "(unavailable: "+k.Error+")", "-"
			} else if !k.Trusted {
				trusted = "NO"
			}
			if len(id) > 16 && k.Error == "" {
				id = id[:16]
			}
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\n", r.Role, r.Threshold, id, trusted, k.Ref)
		}
	}
	return w.Flush()
}

func runKeysExport(ctx context.Context, e *env, args []string) error {
	fs, dir := keysFlags("export")
	pos, err := parse(fs, e, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"keys export: name one TUF role"}
	}
	keys, err := generator.ExportTUFKeys(ctx, *dir, pos[0], e.getenv)
	if err != nil {
		return err
	}
	return printJSON(e.stdout, keys)
}

// refList collects a repeatable flag.
type refList []string

func (r *refList) String() string     { return strings.Join(*r, ",") }
func (r *refList) Set(v string) error { *r = append(*r, v); return nil }

func runKeysRotate(ctx context.Context, e *env, args []string) error {
	fs, dir := keysFlags("rotate")
	var keys refList
	fs.Var(&keys, "key", "reference of a new key (repeatable); a missing path inside the repository is made")
	pos, err := parse(fs, e, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"keys rotate: name one role: root, targets, snapshot or timestamp"}
	}
	now, err := e.now()
	if err != nil {
		return err
	}
	st, err := generator.RotateTUFKey(ctx, generator.RotateOptions{Dir: *dir, Role: pos[0], Keys: keys, Now: now, Getenv: e.getenv})
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stderr, st)
	fmt.Fprintf(e.stderr, "now set signing.tuf.%s.keys to [%s] in repos.yaml and commit tuf/\n", pos[0], strings.Join(keys, ", "))
	return nil
}

func runKeysSignRoot(ctx context.Context, e *env, args []string) error {
	fs, dir := keysFlags("sign-root")
	var keys refList
	fs.Var(&keys, "key", "reference of a root key to sign with (repeatable; default: signing.tuf.root.keys)")
	if pos, err := parse(fs, e, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError{"keys sign-root takes no arguments"}
	}
	st, err := generator.SignStagedRoot(ctx, *dir, keys, e.getenv)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stderr, st)
	return nil
}
