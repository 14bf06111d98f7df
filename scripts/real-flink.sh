#!/usr/bin/env bash
# real-flink.sh: regenerate tests/real-flink/*.out by running tools/real-flink/RealFlinkJobs.java
# on a real Flink (a local MiniCluster in one JVM). Needs Java 17 (java, javac) and pip.
#
#   scripts/real-flink.sh [VERSION] [REPEATS] [JOB...]
#
# VERSION (default 1.20.3) is a release of PyPI's apache-flink-libraries, whose sdist carries
# deps/lib/flink-dist-*.jar; it is downloaded once (pip download --no-deps) and unpacked under
# target/real-flink/. REPEATS (default 3): each job runs that often and must give the same rows
# every time. JOB...: only these jobs (default every job). Output: tests/real-flink/<job>.out
# for 1.20.3, tests/real-flink/flink-2.3.0/<job>.out for 2.3.0 (both compared by
# tests/real_flink.rs); for another version target/real-flink/out-<VERSION>/ (compare with
# `diff -r tests/real-flink target/real-flink/out-<VERSION>`). See docs/real-flink.md.
set -euo pipefail
version="${1:-1.20.3}"
repeats="${2:-3}"
shift $(( $# > 2 ? 2 : $# ))
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$root/target/real-flink"
mkdir -p "$work"
# The sdist's name: apache-flink-libraries-V.tar.gz (1.x), apache_flink_libraries-V.tar.gz (2.x).
find_lib() { ls -d "$work"/apache[-_]flink[-_]libraries-"$version"/deps/lib 2>/dev/null | head -n 1 || true; }
lib="$(find_lib)"
if [ -z "$lib" ]; then
    pip download --no-deps --no-binary :all: "apache-flink-libraries==$version" -d "$work"
    tar -xzf "$(ls "$work"/apache[-_]flink[-_]libraries-"$version".tar.gz | head -n 1)" -C "$work"
    lib="$(find_lib)"
fi
classes="$work/classes-$version"
mkdir -p "$classes"
# Every program file of tools/real-flink/; for 2.x each file of tools/real-flink/flink2/ stands in
# for the top-level file of its name (the exactly-once job: TwoPhaseCommitSinkFunction in 1.x, a
# Sink V2 in 2.x; the gated source: the SourceFunction API's 1.x and 2.x (legacy) packages).
sources=()
for f in "$root"/tools/real-flink/*.java; do
    alt="$root/tools/real-flink/flink2/$(basename "$f")"
    case "$version" in
        1.*) sources+=("$f") ;;
        *) if [ -f "$alt" ]; then sources+=("$alt"); else sources+=("$f"); fi ;;
    esac
done
rm -rf "$classes" && mkdir -p "$classes"
javac -nowarn -cp "$lib/*" -d "$classes" "${sources[@]}"
case "$version" in
    1.20.3) out="$root/tests/real-flink" ;;
    2.3.0) out="$root/tests/real-flink/flink-2.3.0" ;;
    *) out="$work/out-$version" ;;
esac
mkdir -p "$out"
# Flink's own launch scripts open these modules for Kryo on Java 17.
# Jobs named `interval-join-late*` are RealFlinkLateJoin's; without JOB arguments both run all.
late_jobs=()
other_jobs=()
for job in "$@"; do
    case "$job" in
        interval-join-late*) late_jobs+=("$job") ;;
        *) other_jobs+=("$job") ;;
    esac
done
run_java() {
    java --add-opens java.base/java.util=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED \
        -cp "$lib/*:$classes" "$@"
}
if [ $# -eq 0 ] || [ ${#other_jobs[@]} -gt 0 ]; then
    run_java RealFlinkJobs "$out" "$repeats" "${other_jobs[@]}"
fi
if [ $# -eq 0 ] || [ ${#late_jobs[@]} -gt 0 ]; then
    run_java RealFlinkLateJoin "$out" "$repeats" "${late_jobs[@]}"
fi
