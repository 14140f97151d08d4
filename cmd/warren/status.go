package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/warrenhq/warren"
)

const defaultStatusAddr = "127.0.0.1:8080"

func newClusterCmd(stdout io.Writer, lookupEnv func(string) (string, bool)) *cobra.Command {
	cluster := &cobra.Command{
		Use:   "cluster",
		Short: "Inspect a running cluster",
		Args:  noArgs,
	}
	cluster.AddCommand(newClusterStatusCmd(stdout, lookupEnv))
	return cluster
}

func newClusterStatusCmd(stdout io.Writer, lookupEnv func(string) (string, bool)) *cobra.Command {
	var (
		addr    string
		output  string
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show members and shards as a node sees them",
		Long: "Fetch /api/cluster from a node's HTTP address and print its members and shards.\n" +
			"--addr may list several host:port, tried in order until one answers.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("addr") {
				if v, ok := lookupEnv("WARREN_ADDR"); ok && v != "" {
					addr = v
				}
			}
			if output != "table" && output != "json" {
				return usageError{fmt.Errorf("-o %q: want table or json", output)}
			}
			addrs := splitList(addr)
			if len(addrs) == 0 {
				return usageError{errors.New("--addr: no address given")}
			}
			ctx := cmd.Context()
			st, raw, from, err := fetchStatus(ctx, http.DefaultClient, addrs, timeout)
			if err != nil {
				return err
			}
			if output == "json" {
				return writeIndentedJSON(stdout, raw)
			}
			return writeStatusTable(stdout, st, from)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", defaultStatusAddr, "HTTP address of a node, or a comma-separated list tried in order [$WARREN_ADDR]")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for each address")
	return cmd
}

// fetchStatus asks each address in turn for /api/cluster and returns the
// first answer, its raw JSON and the address that gave it.
func fetchStatus(ctx context.Context, client *http.Client, addrs []string, timeout time.Duration) (warren.ClusterStatus, []byte, string, error) {
	var errs []error
	for _, addr := range addrs {
		st, raw, err := fetchOne(ctx, client, addr, timeout)
		if err == nil {
			return st, raw, addr, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 1 {
		return warren.ClusterStatus{}, nil, "", errs[0]
	}
	var b strings.Builder
	b.WriteString("no node answered:")
	for _, err := range errs {
		b.WriteString("\n  - ")
		b.WriteString(err.Error())
	}
	return warren.ClusterStatus{}, nil, "", errors.New(b.String())
}

func fetchOne(ctx context.Context, client *http.Client, addr string, timeout time.Duration) (warren.ClusterStatus, []byte, error) {
	var st warren.ClusterStatus
	base := addr
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/api/cluster", nil)
	if err != nil {
		return st, nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return st, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return st, nil, fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			return st, nil, fmt.Errorf("%s (HTTP %d)", e.Error, resp.StatusCode)
		}
		return st, nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return st, nil, fmt.Errorf("decode response: %w", err)
	}
	return st, raw, nil
}

func writeIndentedJSON(out io.Writer, raw []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err := out.Write(buf.Bytes())
	return err
}

func writeStatusTable(out io.Writer, st warren.ClusterStatus, from string) error {
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	fmt.Fprintf(out, "Cluster as seen by node %d (%s), placement epoch %d\n\n", st.NodeID, from, st.PlacementEpoch)

	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBER\tNAME\tSTATE\tPLACEMENT\tGOSSIP\tRAFT\tACTOR\tZOOKEEPER\tKAFKA\tHTTP")
	for _, m := range st.Members {
		placement := "no"
		if m.InPlacement {
			placement = "yes"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.NodeID, dash(m.Name), dash(m.State), placement,
			dash(m.GossipAddr), dash(m.RaftAddr), dash(m.ActorAddr), dash(m.ZKAddr), dash(m.KafkaAddr), dash(m.HTTPAddr))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out)

	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SHARD\tLEADER\tTERM\tREPLICAS\tDESIRED\tLOCAL")
	for _, s := range st.Shards {
		leader, term, local := "none", "-", ""
		if s.Leader != 0 {
			leader = strconv.FormatUint(s.Leader, 10)
		}
		if s.Term != 0 {
			term = strconv.FormatUint(s.Term, 10)
		}
		if s.Local {
			local = "yes"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", s.ShardID, leader, term, joinIDs(s.Replicas), joinIDs(s.Desired), local)
	}
	return tw.Flush()
}

func joinIDs(ids []uint64) string {
	if len(ids) == 0 {
		return "-"
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatUint(id, 10)
	}
	return strings.Join(parts, ",")
}
