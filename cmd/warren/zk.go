package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/internal/httpapi"
)

func newZKCmd(stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) *cobra.Command {
	conn := &zkConn{lookupEnv: lookupEnv}
	zk := &cobra.Command{
		Use:   "zk",
		Short: "Read and write znodes through a node's HTTP API",
		Long: "Read and write znodes, ZooKeeper's data model, through the /api/zk routes of a\n" +
			"node's HTTP address. --addr may list several host:port, tried in order: the next\n" +
			"is tried when one cannot be reached or is not ready, and never after a write may\n" +
			"have been applied.\n\n" +
			"The HTTP API has no sessions, so it cannot create ephemeral znodes; watches are\n" +
			"persistent and streamed (zk watch). It acts as \"world\": znodes whose ACL denies\n" +
			"world:anyone refuse it.\n\n" +
			"Exit status: 0 on success, 1 when the node answers with an error (a ZooKeeper\n" +
			"error such as \"Node does not exist: /a\") or cannot be reached, 2 on bad usage.",
		Args: noArgs,
	}
	zk.PersistentFlags().StringVar(&conn.addr, "addr", defaultStatusAddr, "HTTP address of a node, or a comma-separated list tried in order [$WARREN_ADDR]")
	zk.PersistentFlags().DurationVar(&conn.timeout, "timeout", 10*time.Second, "how long to wait for each address")
	zk.AddCommand(
		newZKLsCmd(conn, stdout),
		newZKGetCmd(conn, stdout, stderr),
		newZKSetCmd(conn, stdout),
		newZKCreateCmd(conn, stdout),
		newZKRmCmd(conn),
		newZKStatCmd(conn, stdout),
		newZKWatchCmd(conn, stdout),
	)
	return zk
}

func newZKLsCmd(conn *zkConn, stdout io.Writer) *cobra.Command {
	var withStat bool
	cmd := &cobra.Command{
		Use:   "ls PATH",
		Short: "List a znode's children, one per line",
		Args:  pathArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out httpapi.ZKChildren
			if err := conn.call(cmd, http.MethodGet, "/api/zk/children", url.Values{"path": {args[0]}}, nil, &out); err != nil {
				return err
			}
			for _, c := range out.Children {
				fmt.Fprintln(stdout, c)
			}
			if withStat {
				return writeStat(stdout, out.Stat, time.Local)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&withStat, "stat", "s", false, "print the znode's stat after its children")
	return cmd
}

func newZKGetCmd(conn *zkConn, stdout, stderr io.Writer) *cobra.Command {
	var withStat bool
	cmd := &cobra.Command{
		Use:   "get PATH",
		Short: "Write a znode's data to stdout, as is",
		Args:  pathArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out httpapi.ZKNode
			if err := conn.call(cmd, http.MethodGet, "/api/zk/node", url.Values{"path": {args[0]}}, nil, &out); err != nil {
				return err
			}
			if _, err := stdout.Write(out.Data); err != nil {
				return err
			}
			if withStat {
				return writeStat(stderr, out.Stat, time.Local)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&withStat, "stat", "s", false, "print the znode's stat to stderr")
	return cmd
}

func newZKSetCmd(conn *zkConn, stdout io.Writer) *cobra.Command {
	var (
		version  int32
		withStat bool
	)
	cmd := &cobra.Command{
		Use:   "set PATH DATA",
		Short: "Replace a znode's data (DATA - reads stdin)",
		Args:  pathArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := dataArg(cmd, args[1])
			if err != nil {
				return err
			}
			var st httpapi.ZKStat
			req := httpapi.ZKSetRequest{Path: args[0], Data: data, Version: &version}
			if err := conn.call(cmd, http.MethodPut, "/api/zk/node", nil, req, &st); err != nil {
				return err
			}
			if withStat {
				return writeStat(stdout, st, time.Local)
			}
			return nil
		},
	}
	cmd.Flags().Int32VarP(&version, "version", "v", warren.AnyVersion, "set only if the data version is this; -1 matches any")
	cmd.Flags().BoolVarP(&withStat, "stat", "s", false, "print the znode's new stat")
	return cmd
}

// cliModes maps the create modes the CLI offers to the API's names.
// Ephemeral modes are absent: they need a session, which the CLI has not.
var cliModes = map[string]string{
	"persistent":                "persistent",
	"sequential":                "persistent_sequential",
	"persistent_sequential":     "persistent_sequential",
	"container":                 "container",
	"ttl":                       "ttl",
	"sequential_ttl":            "persistent_sequential_ttl",
	"persistent_sequential_ttl": "persistent_sequential_ttl",
}

func newZKCreateCmd(conn *zkConn, stdout io.Writer) *cobra.Command {
	var (
		mode string
		ttl  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "create PATH [DATA]",
		Short: "Create a znode and print its path (DATA - reads stdin)",
		Long: "Create a znode and print its path, which for sequential modes ends with the\n" +
			"sequence number ZooKeeper appends. --ttl alone implies --mode ttl, and with\n" +
			"--mode sequential it means sequential_ttl. Ephemeral znodes need a session:\n" +
			"create them with a ZooKeeper client.",
		Args: pathArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := createRequest(args[0], mode, ttl, cmd.Flags().Changed("ttl"))
			if err != nil {
				return err
			}
			if len(args) == 2 {
				if req.Data, err = dataArg(cmd, args[1]); err != nil {
					return err
				}
			}
			var out httpapi.ZKCreated
			if err := conn.call(cmd, http.MethodPost, "/api/zk/node", nil, req, &out); err != nil {
				return err
			}
			fmt.Fprintln(stdout, out.Path)
			return nil
		},
	}
	cmd.Flags().StringVar(&mode, "mode", "persistent", "persistent, sequential, container, ttl or sequential_ttl")
	cmd.Flags().DurationVar(&ttl, "ttl", 0, "delete the znode once it has had no children and no change for this long")
	return cmd
}

// createRequest checks the create flags and builds the request.
func createRequest(path, mode string, ttl time.Duration, ttlSet bool) (httpapi.ZKCreateRequest, error) {
	name, ok := cliModes[mode]
	switch {
	case mode == "ephemeral" || mode == "ephemeral_sequential":
		return httpapi.ZKCreateRequest{}, usageError{fmt.Errorf("--mode %s: ephemeral znodes live as long as a client session and the CLI has none; create them with a ZooKeeper client", mode)}
	case !ok:
		return httpapi.ZKCreateRequest{}, usageError{fmt.Errorf("--mode %q: want persistent, sequential, container, ttl or sequential_ttl", mode)}
	}
	if ttlSet {
		switch name {
		case "persistent":
			name = "ttl"
		case "persistent_sequential":
			name = "persistent_sequential_ttl"
		}
	}
	isTTL := name == "ttl" || name == "persistent_sequential_ttl"
	switch {
	case isTTL && ttl < time.Millisecond:
		return httpapi.ZKCreateRequest{}, usageError{fmt.Errorf("--mode %s needs --ttl of at least 1ms", mode)}
	case !isTTL && ttlSet:
		return httpapi.ZKCreateRequest{}, usageError{fmt.Errorf("--ttl does not apply to --mode %s", mode)}
	}
	return httpapi.ZKCreateRequest{Path: path, Mode: name, TTLMillis: ttl.Milliseconds()}, nil
}

func newZKRmCmd(conn *zkConn) *cobra.Command {
	var (
		version   int32
		recursive bool
	)
	cmd := &cobra.Command{
		Use:   "rm PATH",
		Short: "Delete a znode (-r: and everything below it)",
		Long: "Delete a znode. With -r, delete its subtree too, children first; that is not\n" +
			"atomic, and stops at the first failure.",
		Args: pathArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{"path": {args[0]}}
			if cmd.Flags().Changed("version") {
				if recursive {
					return usageError{errors.New("-v and -r do not combine: -r deletes whatever the versions")}
				}
				q.Set("version", strconv.Itoa(int(version)))
			}
			if recursive {
				q.Set("recursive", "1")
			}
			return conn.call(cmd, http.MethodDelete, "/api/zk/node", q, nil, nil)
		},
	}
	cmd.Flags().Int32VarP(&version, "version", "v", warren.AnyVersion, "delete only if the data version is this; -1 matches any")
	cmd.Flags().BoolVarP(&recursive, "recursive", "r", false, "delete the children first, recursively")
	return cmd
}

func newZKStatCmd(conn *zkConn, stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "stat PATH",
		Short: "Print a znode's stat as zkCli.sh does",
		Args:  pathArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			var st httpapi.ZKStat
			if err := conn.call(cmd, http.MethodGet, "/api/zk/stat", url.Values{"path": {args[0]}}, nil, &st); err != nil {
				return err
			}
			return writeStat(stdout, st, time.Local)
		},
	}
}

func newZKWatchCmd(conn *zkConn, stdout io.Writer) *cobra.Command {
	var recursive bool
	var count int
	cmd := &cobra.Command{
		Use:   "watch PATH",
		Short: "Print every change of a znode (and its subtree with -r) until interrupted",
		Args:  pathArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return conn.watch(cmd, args[0], recursive, count, stdout)
		},
	}
	cmd.Flags().BoolVarP(&recursive, "recursive", "r", false, "also watch every descendant (persistent recursive watch)")
	cmd.Flags().IntVar(&count, "count", 0, "exit after this many events (0: run until interrupted)")
	return cmd
}

// watch streams GET /api/zk/watch from the first address that answers and
// prints one line per event.
func (c *zkConn) watch(cmd *cobra.Command, path string, recursive bool, count int, stdout io.Writer) error {
	addrs, err := c.addrs(cmd)
	if err != nil {
		return err
	}
	q := url.Values{"path": {path}}
	if recursive {
		q.Set("recursive", "1")
	}
	var errs []error
	for _, addr := range addrs {
		base := addr
		if !strings.Contains(base, "://") {
			base = "http://" + base
		}
		req, err := http.NewRequestWithContext(cmd.Context(), http.MethodGet, strings.TrimRight(base, "/")+"/api/zk/watch?"+q.Encode(), nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", addr, err))
			continue
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			var e struct {
				Error string `json:"error"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&e)
			return fmt.Errorf("%s: %s", addr, e.Error)
		}
		return printWatch(resp.Body, count, stdout)
	}
	return fmt.Errorf("no node answered: %w", errors.Join(errs...))
}

func printWatch(body io.Reader, count int, stdout io.Writer) error {
	sc := bufio.NewScanner(body)
	seen := 0
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var ev httpapi.ZKWatchEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			return fmt.Errorf("bad event %q: %w", line, err)
		}
		fmt.Fprintf(stdout, "%s %s zxid=0x%x\n", ev.Type, ev.Path, ev.Zxid)
		if seen++; count > 0 && seen >= count {
			return nil
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// pathArgs accepts a znode path followed by lo more arguments, or lo to
// upTo[0]: pathArgs(0) is PATH, pathArgs(1) is PATH X, pathArgs(0, 1) is
// PATH [X]. Anything else is a usage error.
func pathArgs(lo int, upTo ...int) cobra.PositionalArgs {
	hi := lo
	if len(upTo) > 0 {
		hi = upTo[0]
	}
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.RangeArgs(1+lo, 1+hi)(cmd, args); err != nil {
			return usageError{err}
		}
		if !strings.HasPrefix(args[0], "/") {
			return usageError{fmt.Errorf("path %q: znode paths start with /", args[0])}
		}
		return nil
	}
}

// dataArg returns the data an argument gives: itself, or stdin for "-".
func dataArg(cmd *cobra.Command, arg string) ([]byte, error) {
	if arg != "-" {
		return []byte(arg), nil
	}
	b, err := io.ReadAll(cmd.InOrStdin())
	if err != nil {
		return nil, fmt.Errorf("read stdin: %w", err)
	}
	return b, nil
}

// javaDate is the layout of Java's Date.toString, which zkCli.sh prints.
const javaDate = "Mon Jan 02 15:04:05 MST 2006"

// writeStat prints st as zkCli.sh's stat does, with times in loc.
func writeStat(w io.Writer, st httpapi.ZKStat, loc *time.Location) error {
	hex := func(v int64) string { return "0x" + strconv.FormatUint(uint64(v), 16) } // as Long.toHexString
	date := func(ms int64) string { return time.UnixMilli(ms).In(loc).Format(javaDate) }
	_, err := fmt.Fprintf(w, "cZxid = %s\nctime = %s\nmZxid = %s\nmtime = %s\npZxid = %s\n"+
		"cversion = %d\ndataVersion = %d\naclVersion = %d\nephemeralOwner = %s\ndataLength = %d\nnumChildren = %d\n",
		hex(st.Czxid), date(st.Ctime), hex(st.Mzxid), date(st.Mtime), hex(st.Pzxid),
		st.Cversion, st.Version, st.Aversion, hex(st.EphemeralOwner), st.DataLength, st.NumChildren)
	return err
}

// zkConn is how the zk commands reach a node: the shared --addr and
// --timeout flags.
type zkConn struct {
	addr      string
	timeout   time.Duration
	lookupEnv func(string) (string, bool)
}

// addrs returns the addresses to try: --addr if given, else $WARREN_ADDR,
// else the default.
func (c *zkConn) addrs(cmd *cobra.Command) ([]string, error) {
	addr := c.addr
	if !cmd.Flags().Changed("addr") {
		if v, ok := c.lookupEnv("WARREN_ADDR"); ok && v != "" {
			addr = v
		}
	}
	addrs := splitList(addr)
	if len(addrs) == 0 {
		return nil, usageError{errors.New("--addr: no address given")}
	}
	return addrs, nil
}

// call sends one API request (in, if not nil, as its JSON body) to the
// first address that takes it and decodes the answer into out (if not nil).
// It moves to the next address only when the request cannot have been
// applied: the address could not be reached, answered 503, or the request
// was a read.
func (c *zkConn) call(cmd *cobra.Command, method, route string, query url.Values, in, out any) error {
	addrs, err := c.addrs(cmd)
	if err != nil {
		return err
	}
	var body []byte
	if in != nil {
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	ctx := cmd.Context()
	var errs []error
	for _, addr := range addrs {
		err := c.callOne(ctx, addr, method, route, query, body, out)
		var next *tryNext
		if !errors.As(err, &next) {
			return err
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr, next.err))
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 1 {
		return errs[0]
	}
	var b strings.Builder
	b.WriteString("no node answered:")
	for _, err := range errs {
		b.WriteString("\n  - ")
		b.WriteString(err.Error())
	}
	return errors.New(b.String())
}

// tryNext is a failure after which the next address may be tried.
type tryNext struct{ err error }

func (e *tryNext) Error() string { return e.err.Error() }

func (c *zkConn) callOne(ctx context.Context, addr, method, route string, query url.Values, body []byte, out any) error {
	base := addr
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	target := strings.TrimRight(base, "/") + route
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", addr, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		var op *net.OpError
		if method == http.MethodGet || (errors.As(err, &op) && op.Op == "dial") {
			return &tryNext{err}
		}
		return fmt.Errorf("%s: %w (the request may have been applied)", addr, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s: read response: %w", addr, err)
	}
	if resp.StatusCode >= 300 {
		return answerError(addr, resp, raw)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: decode response: %w", addr, err)
	}
	return nil
}

// answerError turns a failure the node answered with into an error: a
// *zkError for a ZooKeeper error, a tryNext for 503.
func answerError(addr string, resp *http.Response, raw []byte) error {
	var e httpapi.ZKErrorBody
	if json.Unmarshal(raw, &e) != nil || e.Error == "" {
		e.Error = "HTTP " + resp.Status
	} else {
		e.Error += " (HTTP " + strconv.Itoa(resp.StatusCode) + ")"
	}
	switch {
	case e.ZKCode != 0:
		return &zkError{&warren.ZKError{Code: e.ZKCode, Path: e.Path}}
	case resp.StatusCode == http.StatusServiceUnavailable:
		return &tryNext{errors.New(e.Error)}
	}
	return fmt.Errorf("%s: %s", addr, e.Error)
}

// zkError is a ZooKeeper error a node answered with, worded as zkCli.sh
// words it. It unwraps to the *warren.ZKError.
type zkError struct{ err *warren.ZKError }

// zkCLIMessages are zkCli.sh's words for ZooKeeper errors, followed by the
// path.
var zkCLIMessages = []struct {
	err    error
	prefix string
}{
	{warren.ErrNoNode, "Node does not exist: "},
	{warren.ErrNoChildrenForEphemerals, "Ephemerals cannot have children: "},
	{warren.ErrNodeExists, "Node already exists: "},
	{warren.ErrNotEmpty, "Node not empty: "},
	{warren.ErrInvalidACL, "Acl is not valid : "},
	{warren.ErrNoAuth, "Authentication is not valid : "},
	{warren.ErrBadArguments, "Arguments are not valid : "},
	{warren.ErrBadVersion, "version No is not valid : "},
}

func (e *zkError) Error() string {
	for _, m := range zkCLIMessages {
		if errors.Is(e.err, m.err) {
			return m.prefix + e.err.Path
		}
	}
	return strings.TrimPrefix(e.err.Error(), "warren: ")
}

func (e *zkError) Unwrap() error { return e.err }
