# bench-lib.sh: what the bench scripts share (sourced, not run).
say() { echo "$*" >&2; }
# median V...: the middle value (mean of the two middle ones for an even count), 3 decimals.
median() { printf "%s\n" "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
