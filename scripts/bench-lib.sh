# Helpers shared by the benchmark scripts; source it.

# write_table NAME TITLE TABLE: put TABLE into docs/benchmarks.md between
# the <!-- NAME:begin --> and <!-- NAME:end --> markers, adding a section
# titled TITLE with the markers at the end if they are missing.
write_table() {
  local name=$1 title=$2 table=$3 doc=docs/benchmarks.md
  if ! grep -q "<!-- $name:begin -->" "$doc"; then
    printf '\n## %s\n\n<!-- %s:begin -->\n<!-- %s:end -->\n' "$title" "$name" "$name" >> "$doc"
  fi
  awk -v table="$table" -v begin="<!-- $name:begin -->" -v end="<!-- $name:end -->" '
    $0 == begin { print; print table; skip = 1; next }
    $0 == end { skip = 0 }
    !skip { print }
  ' "$doc" > "$doc.tmp" && mv "$doc.tmp" "$doc"
  echo "bench: table written to $doc"
}

# field KEY: the value of KEY=value in the `warren bench zk` line on stdin.
field() { tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }
