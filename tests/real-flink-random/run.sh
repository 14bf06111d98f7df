#!/usr/bin/env bash
# run.sh: run the randomized campaign's specs on real Flink (docs/real-flink-random.md).
#
#   tests/real-flink-random/run.sh FLINK_LIB OUT_DIR REPEATS SPEC...
#
# FLINK_LIB: the deps/lib folder of an unpacked apache-flink-libraries sdist (scripts/real-flink.sh
# downloads one into target/real-flink/); its flink-dist jar's version picks the 1.x or 2.x
# sources. Compiles tools/real-flink/*.java (RealFlinkRandom.java needs RealFlinkJobs.java and what
# that one needs) and writes OUT_DIR/<name>.out per spec (tests/real-flink-random/flink-<version>/).
set -euo pipefail
lib="$1"; out="$2"; repeats="$3"; shift 3
root="$(cd "$(dirname "$0")/../.." && pwd)"
tools="$root/tools/real-flink"
version="$(ls "$lib" | sed -n 's/^flink-dist-\(.*\)\.jar$/\1/p' | head -n 1)"
classes="$(mktemp -d)"
trap 'rm -rf "$classes"' EXIT
# Every program file of tools/real-flink/ (RealFlinkJobs.java and RealFlinkLifecycle.java name
# most of the others), as scripts/real-flink.sh compiles them: for 2.x each file of
# tools/real-flink/flink2/ stands in for the top-level file of its name.
sources=()
for f in "$tools"/*.java; do
    alt="$tools/flink2/$(basename "$f")"
    case "$version" in
        1.*) sources+=("$f") ;;
        *) if [ -f "$alt" ]; then sources+=("$alt"); else sources+=("$f"); fi ;;
    esac
done
javac -nowarn -encoding UTF-8 -cp "$lib/*" -d "$classes" "${sources[@]}"
mkdir -p "$out"
# REALFLINK_BACKEND=rocksdb runs the jobs on RocksDB (default: the heap backend, Flink's default).
java --add-opens java.base/java.util=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED \
    -Dfile.encoding=UTF-8 -Drealflink.backend="${REALFLINK_BACKEND:-hashmap}" -cp "$lib/*:$classes" RealFlinkRandom "$out" "$repeats" "$@"
