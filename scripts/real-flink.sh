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
# for the default version; for another version target/real-flink/out-<VERSION>/ (compare with
# `diff -r tests/real-flink target/real-flink/out-<VERSION>`). See docs/real-flink.md.
set -euo pipefail
version="${1:-1.20.3}"
repeats="${2:-3}"
shift $(( $# > 2 ? 2 : $# ))
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$root/target/real-flink"
lib="$work/apache-flink-libraries-$version/deps/lib"
mkdir -p "$work"
if [ ! -d "$lib" ]; then
    pip download --no-deps --no-binary :all: "apache-flink-libraries==$version" -d "$work"
    tar -xzf "$work/apache-flink-libraries-$version.tar.gz" -C "$work"
fi
classes="$work/classes-$version"
mkdir -p "$classes"
sources=("$root/tools/real-flink/RealFlinkJobs.java")
# The exactly-once job uses TwoPhaseCommitSinkFunction, removed in Flink 2.0.
case "$version" in 1.*) sources+=("$root/tools/real-flink/RealFlinkTwoPc.java") ;; esac
javac -nowarn -cp "$lib/*" -d "$classes" "${sources[@]}"
if [ "$version" = "1.20.3" ]; then
    out="$root/tests/real-flink"
else
    out="$work/out-$version"
fi
mkdir -p "$out"
# Flink's own launch scripts open these modules for Kryo on Java 17.
java --add-opens java.base/java.util=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED \
    -cp "$lib/*:$classes" RealFlinkJobs "$out" "$repeats" "$@"
