package grafana

import (
	"fmt"
	"slices"
	"strings"
)

// promqlFunctions are PromQL's functions and aggregation operators: names
// that are not metrics when they open a call.
var promqlFunctions = setOf(
	// aggregation operators
	"avg", "bottomk", "count", "count_values", "group", "limit_ratio", "limitk", "max", "min",
	"quantile", "stddev", "stdvar", "sum", "topk",
	// functions
	"abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh",
	"avg_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh",
	"count_over_time", "day_of_month", "day_of_week", "day_of_year", "days_in_month", "deg", "delta",
	"deriv", "double_exponential_smoothing", "end", "exp", "floor", "histogram_avg", "histogram_count",
	"histogram_fraction", "histogram_quantile", "histogram_stddev", "histogram_stdvar", "histogram_sum",
	"holt_winters", "hour", "idelta", "increase", "info", "irate", "label_join", "label_replace",
	"last_over_time", "ln", "log10", "log2", "mad_over_time", "max_over_time", "min_over_time", "minute",
	"month", "pi", "predict_linear", "present_over_time", "quantile_over_time", "rad", "rate", "resets",
	"round", "scalar", "sgn", "sin", "sinh", "sort", "sort_by_label", "sort_by_label_desc", "sort_desc",
	"sqrt", "start", "stddev_over_time", "stdvar_over_time", "sum_over_time", "tan", "tanh", "time",
	"timestamp", "vector", "year",
)

// promqlKeywords never name metrics.
var promqlKeywords = setOf("and", "atan2", "bool", "inf", "nan", "offset", "or", "unless")

// promqlLabelLists are keywords followed by a parenthesized label list
// (optional for group_left and group_right).
var promqlLabelLists = setOf("by", "group_left", "group_right", "ignoring", "on", "without")

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// metricNames returns the sorted, distinct metric names a PromQL expression
// (with Grafana's $variables) selects: the identifiers that are not
// functions, keywords, label names, durations or numbers. It is a tokenizer,
// not a parser: it checks only that brackets and strings are closed and that
// every call is to a known function.
func metricNames(expr string) ([]string, error) {
	var names []string
	depth := 0
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"' || c == '\'' || c == '`':
			end, err := skipString(expr, i)
			if err != nil {
				return nil, err
			}
			i = end
		case c == '{':
			end, err := skipTo(expr, i, '}')
			if err != nil {
				return nil, err
			}
			i = end
		case c == '[':
			end, err := skipTo(expr, i, ']')
			if err != nil {
				return nil, err
			}
			i = end
		case c == '$':
			// A Grafana variable: $name or ${name}.
			i++
			if i < len(expr) && expr[i] == '{' {
				end, err := skipTo(expr, i, '}')
				if err != nil {
					return nil, err
				}
				i = end
				continue
			}
			for i < len(expr) && isIdentChar(expr[i]) {
				i++
			}
		case isDigit(c) || c == '.' && i+1 < len(expr) && isDigit(expr[i+1]):
			// A number or duration: 42, 0.5, 1e-9 (the sign is read as an
			// operator, the 9 as another number), 0x1F, 5m.
			for i < len(expr) && (isIdentChar(expr[i]) || expr[i] == '.') {
				i++
			}
		case isIdentStart(c):
			start := i
			for i < len(expr) && isIdentChar(expr[i]) {
				i++
			}
			word := expr[start:i]
			lower := strings.ToLower(word)
			next := i
			for next < len(expr) && (expr[next] == ' ' || expr[next] == '\t' || expr[next] == '\n') {
				next++
			}
			opensCall := next < len(expr) && expr[next] == '('
			switch {
			case promqlLabelLists[lower]:
				if opensCall {
					end, err := skipTo(expr, next, ')')
					if err != nil {
						return nil, err
					}
					i = end
				}
			case promqlKeywords[lower]:
			case opensCall:
				if !promqlFunctions[word] {
					return nil, fmt.Errorf("unknown PromQL function %s", word)
				}
			case promqlFunctions[word] && isGrouping(expr[next:]):
				// An aggregation written as "sum by (x) (...)".
			default:
				names = append(names, word)
			}
		case c == '(':
			depth++
			i++
		case c == ')':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced ) at %d", i)
			}
			i++
		case c == ']' || c == '}':
			return nil, fmt.Errorf("unbalanced %c at %d", c, i)
		default:
			i++ // an operator or a comma
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("unclosed (")
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// isGrouping reports whether rest starts with the word by or without.
func isGrouping(rest string) bool {
	for _, kw := range []string{"by", "without"} {
		if after, ok := strings.CutPrefix(rest, kw); ok && (after == "" || !isIdentChar(after[0])) {
			return true
		}
	}
	return false
}

// skipString returns the index just past the string literal starting at i.
func skipString(s string, i int) (int, error) {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch {
		case s[j] == '\\' && q != '`':
			j++
		case s[j] == q:
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("unclosed string at %d", i)
}

// skipTo returns the index just past the close byte matching the bracket at
// i, skipping string literals; brackets of the same kind nest.
func skipTo(s string, i int, close byte) (int, error) {
	open := s[i]
	depth := 0
	for j := i; j < len(s); {
		switch s[j] {
		case '"', '\'', '`':
			end, err := skipString(s, j)
			if err != nil {
				return 0, err
			}
			j = end
			continue
		case open:
			depth++
		case close:
			depth--
			if depth == 0 {
				return j + 1, nil
			}
		}
		j++
	}
	return 0, fmt.Errorf("unclosed %c at %d", open, i)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isIdentStart(c byte) bool {
	return c == '_' || c == ':' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) }
