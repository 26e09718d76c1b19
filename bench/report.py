#!/usr/bin/env python3
"""Prints the figures of one bench/run.sh run from its raw measurements directory.

Usage: bench/report.py DIR   (DIR as kept with `bench/run.sh --keep DIR`)

Every timing is a whole-process wall time taken by bash around the command ($EPOCHREALTIME),
so fork+exec costs are in every figure, and `/bin/true` timed the same way is the floor.
"""

import collections
import json
import os
import re
import statistics
import sys


def read_lines(path):
    try:
        with open(path) as f:
            return [l.rstrip("\n") for l in f]
    except FileNotFoundError:
        return []


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def pct(xs, p):
    if not xs:
        return float("nan")
    s = sorted(xs)
    i = min(len(s) - 1, max(0, round((len(s) - 1) * p)))
    return s[i]


def ms(x):
    return f"{x * 1000:8.2f}"


def samples(d):
    """label -> [seconds]"""
    out = collections.defaultdict(list)
    for line in read_lines(os.path.join(d, "samples.txt")):
        parts = line.split()
        if len(parts) != 3:
            continue
        label, t0, t1 = parts
        out[label].append(float(t1) - float(t0))
    return out


def bpf_calls(path):
    """(total, Counter of BPF_* commands) of an `strace -f -e trace=bpf` log."""
    c = collections.Counter()
    for line in read_lines(path):
        m = re.search(r"bpf\((BPF_[A-Z_]+)", line)
        if m:
            c[m.group(1)] += 1
    return sum(c.values()), c


def fit(points):
    """Least squares y = a + b x; returns (a, b, r2)."""
    n = len(points)
    if n < 2:
        return float("nan"), float("nan"), float("nan")
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    sxy = sum((x - mx) * (y - my) for x, y in points)
    b = sxy / sxx if sxx else float("nan")
    a = my - b * mx
    ss_tot = sum((y - my) ** 2 for _, y in points)
    ss_res = sum((y - (a + b * x)) ** 2 for x, y in points)
    r2 = 1 - ss_res / ss_tot if ss_tot else float("nan")
    return a, b, r2


def verdict(ok):
    return "MET" if ok else "NOT MET"


def section(title):
    print()
    print(f"== {title}")


def anchor_data(d):
    """(instructions, rss KiB, bpf() calls) per (workload, tool) of the anchor section."""
    instr, rss, calls = {}, {}, {}
    for name, out in (("anchor.instr.txt", instr), ("anchor.rss.txt", rss)):
        for line in read_lines(os.path.join(d, name)):
            parts = line.split()
            if len(parts) == 3 and parts[2].isdigit():
                out[(parts[0], parts[1])] = int(parts[2])
    for key in instr:
        calls[key] = bpf_calls(os.path.join(d, f"strace.anchor.{key[0]}.{key[1]}.txt"))[0]
    return instr, rss, calls


def anchor_rows(s, data, workload, tools):
    """Prints one row per tool of a workload: wall median, instructions, RSS, bpf() calls."""
    instr, rss, calls = data
    for tool, label in tools:
        xs = s.get(f"anchor.{workload}.{tool}", [])
        if not xs:
            continue
        key = (workload, tool)
        print(f"{label:34} {ms(median(xs))} {ms(pct(xs, 0.1))} {ms(pct(xs, 0.9))} "
              f"{instr.get(key, 0) / 1e6:9.3f} {rss.get(key, 0) / 1024:7.2f} {calls.get(key, 0):5}")


def anchor_ratio(s, data, workload, tool, base="libbpf"):
    """(wall, instructions, RSS) of tool over base for one workload, nan where missing."""
    instr, rss, _ = data
    a, b = s.get(f"anchor.{workload}.{tool}"), s.get(f"anchor.{workload}.{base}")
    wall = median(a) / median(b) if a and b else float("nan")
    ka, kb = (workload, tool), (workload, base)
    ir = instr[ka] / instr[kb] if ka in instr and kb in instr else float("nan")
    mem = rss[ka] / rss[kb] if ka in rss and kb in rss else float("nan")
    return wall, ir, mem


def anchor(d, s, machine, targets):
    """The anchor section: rawbpf against libbpf 1.7 and bpftool."""
    data = anchor_data(d)
    instr, rss, calls = data
    head = f"{'':34} {'median':>8} {'p10':>8} {'p90':>8} {'user Minsn':>9} {'RSS MiB':>7} {'bpf()':>5}"
    n = len(s.get("anchor.sockops.full.libbpf", []))
    section(f"anchor: rawbpf vs libbpf {machine.get('libbpf', '1.7').split()[0]} vs bpftool "
            f"(wall ms: median of {n} interleaved rounds; user instructions: callgrind)")
    print("(rawbpf: the README's `cargo build --release`, a static PIE since loader/cli/build.rs; "
          "+crt-static: RUSTFLAGS=+crt-static --target, the same code linked by rustc)")
    print("-- bpf_sockops.o, load + attach to the bench cgroup, pinned maps reused")
    print(head)
    anchor_rows(s, data, "sockops.full", (
        ("rawbpf", "rawbpf load --force"), ("rawbpf_static", "rawbpf (+crt-static) load --force"),
        ("libbpf", "libbpf 1.7 loader (static)"), ("bpftool", "bpftool prog load + attach")))
    anchor_rows(s, data, "sockops.unchanged", (
        ("rawbpf", "rawbpf load, unchanged reload"),
        ("rawbpf_static", "rawbpf (+crt-static), unchanged")))
    for tool in ("rawbpf", "rawbpf_static", "bpftool"):
        w, i, m = anchor_ratio(s, data, "sockops.full", tool)
        print(f"sockops full load, {tool} / libbpf: wall {w:.2f}x, user instructions {i:.2f}x, "
              f"peak RSS {m:.2f}x")
    for tool in ("rawbpf", "rawbpf_static"):
        full, unch = ("sockops.full", tool), ("sockops.unchanged", tool)
        lb = ("sockops.full", "libbpf")
        if full in instr and lb in instr:
            targets.append((f"sockops full load user instructions <= libbpf loader's ({tool})",
                            instr[full] <= instr[lb], f"{instr[full] / 1e3:.0f} k vs {instr[lb] / 1e3:.0f} k"))
        if unch in instr:
            targets.append((f"sockops unchanged reload <= 300 k user instructions ({tool})",
                            instr[unch] <= 300e3, f"{instr[unch] / 1e3:.0f} k"))
            targets.append((f"sockops unchanged reload 8 bpf() calls ({tool})", calls[unch] == 8,
                            f"{calls[unch]} calls"))

    objs = sorted({k[0] for k in instr if k[0].startswith("core.")})
    if objs:
        print("-- CO-RE objects (tests/objects/, bcc libbpf-tools), loaded without attaching")
        print(head)
        for w in objs:
            print(f"{w[5:]}:")
            anchor_rows(s, data, w, (("rawbpf", "  rawbpf load --no-attach --no-pin"),
                                     ("rawbpf_static", "  rawbpf (+crt-static)"),
                                     ("libbpf", "  libbpf 1.7 loader (static)"),
                                     ("bpftool", "  bpftool prog loadall")))
            for tool in ("rawbpf", "rawbpf_static"):
                wl, i, m = anchor_ratio(s, data, w, tool)
                if wl != wl:  # libbpf could not load it
                    continue
                print(f"  {tool} / libbpf: wall {wl:.2f}x, user instructions {i:.2f}x, peak RSS {m:.2f}x")
                targets.append((f"CO-RE {w[5:]} ({tool}): wall <= 0.7x, instructions <= 0.7x, "
                                f"RSS <= 1x libbpf 1.7's", wl <= 0.7 and i <= 0.7 and m <= 1.0,
                                f"{wl:.2f}x, {i:.2f}x, {m:.2f}x"))
    for line in read_lines(os.path.join(d, "anchor.failed.txt")):
        print(f"   not loadable: {line}")

    anchor_relocs(d, s, data)
    anchor_btf(d, s, data)


def int_table(path, ncols):
    """Lines of ncols integers -> {first: (the others)}; other lines are skipped."""
    out = {}
    for line in read_lines(path):
        parts = line.split()
        if len(parts) == ncols and all(p.isdigit() for p in parts):
            out[int(parts[0])] = tuple(int(p) for p in parts[1:])
    return out


def growth_cells(s, data, workload, x, pts):
    """The 'ms Minsn MiB' cells of rawbpf and libbpf for one growth row; adds (x, wall) to pts."""
    instr, rss, _ = data
    row = []
    for tool in ("rawbpf", "libbpf"):
        t = median(s.get(f"anchor.{workload}.{tool}", []))
        pts[tool].append((x, t))
        row.append(f"{t * 1000:9.2f} {instr.get((workload, tool), 0) / 1e6:8.2f} "
                   f"{rss.get((workload, tool), 0) / 1024:6.2f}")
    return row


def anchor_relocs(d, s, data):
    """Growth of rawbpf's and libbpf's load with the number of CO-RE relocations."""
    sizes = int_table(os.path.join(d, "anchor.relocs.sizes.txt"), 3)
    if sizes:
        runs = len(s.get(f"anchor.relocs.{min(sizes)}.rawbpf", []))
        section(f"anchor: growth with CO-RE relocations (bench/gen-object.sh --core N; "
                f"wall median of {runs})")
        print(f"{'relocs':>7} {'structs':>7} {'object KiB':>10} | {'rawbpf ms':>9} {'Minsn':>8} {'MiB':>6} "
              f"| {'libbpf ms':>9} {'Minsn':>8} {'MiB':>6} | {'wall':>5} {'insn':>5}")
        pts = {"rawbpf": [], "libbpf": []}
        for r in sorted(sizes):
            w = f"relocs.{r}"
            row = growth_cells(s, data, w, r, pts)
            wl, i, _ = anchor_ratio(s, data, w, "rawbpf")
            print(f"{r:7} {sizes[r][1]:7} {sizes[r][0] / 1024:10.1f} | {row[0]} | {row[1]} | "
                  f"{wl:5.2f} {i:5.2f}")
        for tool, p in pts.items():
            a, b, r2 = fit(p)
            print(f"{tool}: {b * 1e6:.2f} us per relocation, intercept {a * 1000:.2f} ms, R^2 {r2:.4f}")
        print("(wall and insn: rawbpf / libbpf; structs: distinct structs the relocations name)")


def anchor_btf(d, s, data):
    """Growth of rawbpf's and libbpf's load with the size of the target BTF."""
    rss = data[1]
    btf = {k: v[0] for k, v in int_table(os.path.join(d, "anchor.btf.sizes.txt"), 2).items()}
    if btf:
        runs = len(s.get(f"anchor.btf.{min(btf)}.rawbpf", []))
        section(f"anchor: growth with the target BTF (core_vmlinux.o, --btf / btf_custom_path of "
                f"the kernel's types + N renamed copies, bench/gen-btf.py; wall median of {runs})")
        print(f"{'copies':>7} {'BTF MiB':>8} | {'rawbpf ms':>9} {'Minsn':>8} {'MiB':>6} "
              f"| {'libbpf ms':>9} {'Minsn':>8} {'MiB':>6} | {'wall':>5} {'insn':>5} {'RSS':>5}")
        pts = {"rawbpf": [], "libbpf": []}
        for c in sorted(btf):
            w = f"btf.{c}"
            row = growth_cells(s, data, w, btf[c] / 2**20, pts)
            wl, i, m = anchor_ratio(s, data, w, "rawbpf")
            print(f"{c:7} {btf[c] / 2**20:8.1f} | {row[0]} | {row[1]} | {wl:5.2f} {i:5.2f} {m:5.2f}")
        for tool, p in pts.items():
            a, b, r2 = fit(p)
            print(f"{tool}: {b * 1000:.2f} ms per MiB of target BTF, intercept {a * 1000:.2f} ms, "
                  f"R^2 {r2:.4f}")
            mem = [(btf[c] / 2**20, rss.get((f"btf.{c}", tool), 0) / 1024) for c in sorted(btf)]
            a, b, r2 = fit(mem)
            print(f"{tool}: peak RSS {b:.2f} MiB per MiB of target BTF (R^2 {r2:.4f})")
        print("(both read the --btf file; wall, insn and RSS: rawbpf / libbpf)")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    d = sys.argv[1]
    s = samples(d)
    machine = dict(l.split(" ", 1) for l in read_lines(os.path.join(d, "machine.txt")) if " " in l)

    section("machine")
    for k in ("nproc", "kernel", "cpu", "bpftool", "libbpf", "git", "command"):
        if k in machine:
            print(f"{k:8} {machine[k]}")

    targets = []
    if "floor" in s:
        section("binary")
        for line in read_lines(os.path.join(d, "sizes.txt")):
            path, size = line.rsplit(" ", 1)
            print(f"{int(size) / 1024:9.1f} KiB  {path}")
        deps = {}
        cur = None
        for line in read_lines(os.path.join(d, "ldd.txt")):
            if line.startswith("== "):
                cur = line[3:]
                deps[cur] = []
            elif cur and line.strip():
                deps[cur].append(line.strip().split(" ")[0])
        for path, libs in deps.items():
            print(f"ldd {path}: {', '.join(libs) or '-'}")
        static = [p for p in deps if "release/rawbpf" in p and "-linux-" in p]
        for p in static:
            libs = [l for l in deps[p] if l not in ("statically", "not")]
            ok = not libs
            targets.append((f"static binary without shared libraries ({p})", ok,
                            "ldd: " + (" ".join(deps[p]) or "-")))

        section(f"load + attach, detach: whole processes, median of {len(s['floor'])} interleaved rounds (ms)")
        print(f"{'':34} {'median':>8} {'p10':>8} {'p90':>8}")
        rows = [
            ("/bin/true (floor)", "floor"),
            ("rawbpf --version (start-up)", "rawbpf.version"),
            ("rawbpf (static) --version", "rawbpf_static.version"),
            ("rawbpf load", "rawbpf.load"),
            ("rawbpf detach", "rawbpf.detach"),
            ("rawbpf (static) load", "rawbpf_static.load"),
            ("rawbpf (static) detach", "rawbpf_static.detach"),
            ("bpftool prog load + cgroup attach", "bpftool.load"),
            ("bpftool cgroup detach + rm pin", "bpftool.detach"),
            ("fresh maps: /bin/true", "fresh.floor"),
            ("fresh maps: rawbpf load", "fresh.rawbpf.load"),
            ("fresh maps: rawbpf detach --unpin", "fresh.rawbpf.detach"),
            ("fresh maps: rawbpf (static) load", "fresh.rawbpf_static.load"),
            ("fresh maps: bpftool load + attach", "fresh.bpftool.load"),
            ("fresh maps: bpftool detach + rm pins", "fresh.bpftool.detach"),
        ]
        for name, label in rows:
            xs = s.get(label, [])
            if xs:
                print(f"{name:34} {ms(median(xs))} {ms(pct(xs, 0.1))} {ms(pct(xs, 0.9))}")
        floor = median(s["floor"])
        bt = median(s["bpftool.load"])
        bt_d = median(s["bpftool.detach"])

        inproc = {}
        for name, f in (("cold", "loadloop.cold.txt"), ("warm", "loadloop.txt")):
            vals = collections.defaultdict(list)
            for line in read_lines(os.path.join(d, f)):
                parts = line.split()
                if len(parts) == 4:
                    vals["load"].append(float(parts[1]))
                    vals["detach"].append(float(parts[3]))
            if vals:
                inproc[name] = vals
        if inproc:
            section("the library alone: rawbpf::load / rawbpf::detach timed inside a process (ms)")
            print(f"{'':34} {'median':>8} {'p10':>8} {'p90':>8}")
            for name, label in (("cold", "first call in a fresh process"), ("warm", "later calls in one process")):
                for k in ("load", "detach"):
                    xs = inproc.get(name, {}).get(k, [])
                    if xs:
                        print(f"{k + ', ' + label:34} {ms(median(xs))} {ms(pct(xs, 0.1))} {ms(pct(xs, 0.9))}")

        section("bpf() calls (strace -f -e trace=bpf)")
        calls = {}
        for name in ("rawbpf.fresh", "rawbpf.reuse", "rawbpf.detach", "bpftool.fresh",
                     "bpftool.reuse", "bpftool.detach"):
            total, c = bpf_calls(os.path.join(d, f"strace.{name}.txt"))
            calls[name] = (total, c)
            detail = ", ".join(f"{k[4:]} {v}" for k, v in sorted(c.items()))
            print(f"{name:15} {total:3}  {detail}")

        section("kernel time in bpf() per load (+ attach), median of 10 runs")
        kt = {}
        for name in ("rawbpf", "bpftool"):
            vals = [float(l.split()[1]) for l in read_lines(os.path.join(d, f"ktime.{name}.txt"))]
            how = read_lines(os.path.join(d, f"ktime.{name}.txt"))[0].split()[0] if vals else "-"
            kt[name] = median(vals) / 1000
            print(f"{name:8} {median(vals):7.3f} ms  ({how})")

        section("peak RSS (GNU time %M, median of 5)")
        rss = collections.defaultdict(list)
        for line in read_lines(os.path.join(d, "rss.txt")):
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                rss[parts[0]].append(int(parts[1]))
        for name, xs in rss.items():
            print(f"{name:24} {median(xs) / 1024:6.2f} MiB")

        section("ratios")
        # The kernel's own time for rawbpf's bpf() calls, from perf trace (syscall entry to
        # exit, in a fresh process like `rawbpf load`; tracing adds a little). The cold
        # in-process library time is an upper bound measured without tracing.
        kernel = kt["rawbpf"]
        cold = median(inproc["cold"]["load"]) if "cold" in inproc else float("nan")
        print(f"process overhead over /bin/true: rawbpf --version {1000 * (median(s['rawbpf.version']) - floor):.2f} ms, "
              f"static {1000 * (median(s['rawbpf_static.version']) - floor):.2f} ms")
        print(f"kernel time of rawbpf's bpf() calls: {1000 * kernel:.2f} ms (perf trace); "
              f"the whole library call, cold: {1000 * cold:.2f} ms")
        print(f"bpftool load+attach minus 2 x floor minus its kernel time: "
              f"{1000 * (bt - 2 * floor - kt['bpftool']):.2f} ms (two processes)")
        for variant, label in (("rawbpf", "rawbpf.load"), ("rawbpf (static)", "rawbpf_static.load")):
            x = median(s[label])
            budget = 1.3 * (floor + kernel)
            print(f"{variant} load / bpftool load+attach          = {x / bt:5.2f}   (target <= 0.33)")
            print(f"{variant} load / (floor + kernel time)        = {x / (floor + kernel):5.2f}   "
                  f"(target <= 1.30; floor {floor * 1000:.2f} ms + kernel {kernel * 1000:.2f} ms)")
            print(f"{variant} load / (floor + cold library call)  = {x / (floor + cold):5.2f}")
            targets.append((f"{variant} load <= 1/3 of bpftool load+attach", x <= bt / 3,
                            f"{x * 1000:.2f} ms vs {bt * 1000:.2f} ms = {x / bt:.2f}x"))
            targets.append((f"{variant} load <= 1.3 x (floor + kernel time of its bpf() calls)", x <= budget,
                            f"{x * 1000:.2f} ms vs 1.3 x ({floor * 1000:.2f} + {kernel * 1000:.2f}) ms"
                            f" = {x / (floor + kernel):.2f}x"))
        rd = median(s["rawbpf.detach"])
        print(f"rawbpf detach / bpftool detach+rm              = {rd / bt_d:5.2f}")

        # bpf() budget: one call per object that must exist (BTF, each map, the program),
        # the program load and the attach, plus what making those objects takes (the
        # .rodata value and freeze, one pin per pinned object, one BPF_OBJ_GET per pin path
        # looked up).
        total, c = calls["rawbpf.fresh"]
        need = (c["BPF_BTF_LOAD"] + c["BPF_MAP_CREATE"] + c["BPF_PROG_LOAD"] + c["BPF_PROG_ATTACH"])
        setup = c["BPF_MAP_UPDATE_ELEM"] + c["BPF_MAP_FREEZE"] + c["BPF_OBJ_PIN"] + c["BPF_OBJ_GET"]
        other = total - need - setup
        print(f"rawbpf fresh load bpf() calls: {total} = {need} create/load/attach + {setup} "
              f"initialise/pin/look up pins + {other} other ({', '.join(k[4:] + ' ' + str(v) for k, v in c.items() if k not in ('BPF_BTF_LOAD', 'BPF_MAP_CREATE', 'BPF_PROG_LOAD', 'BPF_PROG_ATTACH', 'BPF_MAP_UPDATE_ELEM', 'BPF_MAP_FREEZE', 'BPF_OBJ_PIN', 'BPF_OBJ_GET')) or '-'})")
        targets.append(("bpf() calls <= objects + load + attach (+ their initialisation and pins)",
                        other == 0, f"{total} calls, {other} beyond that budget"))
        bt_total = calls["bpftool.fresh"][0]
        print(f"bpftool fresh load+attach bpf() calls: {bt_total}")
        peak = max(median(rss["rawbpf.load"]), median(rss["rawbpf.detach"]))
        targets.append(("peak RSS < 3 MiB (rawbpf load, detach)", peak < 3 * 1024,
                        f"{peak / 1024:.2f} MiB"))
        if rss.get("rawbpf_static.load"):
            peak_s = max(median(rss["rawbpf_static.load"]), median(rss["rawbpf_static.detach"]))
            targets.append(("peak RSS < 3 MiB (static build)", peak_s < 3 * 1024,
                            f"{peak_s / 1024:.2f} MiB"))

    if "reload.first" in s:
        section(f"reload (ms, median of {len(s['reload.first'])} rounds)")
        for name, label in (("first load (maps created)", "reload.first"),
                            ("reload of a changed object", "reload.changed"),
                            ("reload of an unchanged object", "reload.unchanged"),
                            ("reload --force (unchanged object)", "reload.force")):
            xs = s[label]
            print(f"{name:36} {ms(median(xs))} {ms(pct(xs, 0.1))} {ms(pct(xs, 0.9))}")
        for name in ("first", "changed", "unchanged"):
            total, c = bpf_calls(os.path.join(d, f"strace.reload.{name}.txt"))
            print(f"bpf() calls, {name:9}: {total:3}  " +
                  ", ".join(f"{k[4:]} {v}" for k, v in sorted(c.items())))
        prev = None
        for name in ("first", "changed", "unchanged", "force"):
            try:
                with open(os.path.join(d, f"reload.{name}.json")) as f:
                    r = json.load(f)
            except (FileNotFoundError, json.JSONDecodeError):
                continue
            progs = [(p["id"], p.get("status", "loaded")) for p in r["programs"]]
            maps = {m["name"]: (m["id"], m["status"]) for m in r["maps"]}
            new_maps = maps if prev is None else {
                k: v for k, v in maps.items() if v[0] not in {i for i, _ in prev[1].values()}}
            new_progs = [p for p in progs if prev is None or p[0] not in {i for i, _ in prev[0]}]
            print(f"IDs, {name:9}: programs {progs}; new program IDs {[p[0] for p in new_progs]}; "
                  f"new map IDs {sorted(v[0] for v in new_maps.values())}")
            prev = (progs, maps)

    scale = collections.defaultdict(list)
    for label, xs in s.items():
        if label.startswith("scale."):
            _, series, what, maps, insns, size = label.split(".")
            scale[(series, what)].append((int(maps), int(insns), int(size), median(xs)))
    if scale:
        section("scale: generated objects (median wall ms per process; fit over object size)")
        for (series, what), rows in sorted(scale.items()):
            rows.sort()
            key = (lambda r: r[1]) if series == "insns" else (lambda r: r[0])
            unit = "insn" if series == "insns" else "map"
            print(f"-- {what} vs {series}")
            for m, i, size, t in rows:
                print(f"   {m:5} maps {i:8} insns {size / 1024:9.1f} KiB  {t * 1000:9.2f} ms")
            a, b, r2 = fit([(key(r), r[3]) for r in rows])
            a2, b2, r22 = fit([(r[2], r[3]) for r in rows])
            print(f"   slope {b * 1e6:.4f} us/{unit}, intercept {a * 1000:.2f} ms, R^2 {r2:.4f};"
                  f" per object byte {b2 * 1e9:.3f} ns/B (R^2 {r22:.4f})")
            if len(rows) >= 3:
                big, mid = rows[-1], rows[-2]
                per_big = (big[3] - rows[0][3]) / max(1, key(big) - key(rows[0]))
                per_mid = (mid[3] - rows[0][3]) / max(1, key(mid) - key(rows[0]))
                print(f"   marginal cost per {unit}: {per_mid * 1e6:.4f} us up to {key(mid)}, "
                      f"{per_big * 1e6:.4f} us up to {key(big)} (equal for linear growth)")
        for line in read_lines(os.path.join(d, "scale.failed.txt")):
            print(f"   not loadable: {line}")

    net = collections.defaultdict(list)
    for line in read_lines(os.path.join(d, "net.txt")):
        mode, doc = line.split(" ", 1)
        r = json.loads(doc)
        net[(r["size"], mode)].append(r)
    if net:
        section("fast path: loopback TCP between two processes in the cgroup (median of rounds)")
        m = lambda rs, k: median([r[k] for r in rs])
        print(f"{'size':>6} {'mode':6} {'p50 us':>8} {'p99 us':>8} {'round trips/s':>14} {'TCP bytes acked':>16}")
        modes = ("plain", "tcp", "skmsg")
        for size in sorted({k[0] for k in net}):
            for mode in modes:
                rs = net.get((size, mode))
                if rs:
                    print(f"{size:6} {mode:6} {m(rs, 'p50_us'):8.2f} {m(rs, 'p99_us'):8.2f} "
                          f"{m(rs, 'rr_per_s'):14.0f} {m(rs, 'rr_tcp_bytes_acked'):16.0f}")
        print("(plain: outside the cgroup, sockets in no map; tcp: sockops attached, sockets in the "
              "sockhash, no sk_msg; skmsg: the fast path)")
        for size in sorted({k[0] for k in net}):
            b = net.get((size, "skmsg"))
            for base in ("tcp", "plain"):
                a = net.get((size, base))
                if not a or not b:
                    continue
                print(f"size {size}: fast path / {base}: p50 {m(b, 'p50_us') / m(a, 'p50_us'):.2f}x, "
                      f"p99 {m(b, 'p99_us') / m(a, 'p99_us'):.2f}x, "
                      f"round trips/s {m(b, 'rr_per_s') / m(a, 'rr_per_s'):.2f}x")
        streams = {mode: [r for (size, mo), rs in net.items() if mo == mode for r in rs
                          if r["stream_mib"] > 0] for mode in modes}
        if streams["tcp"] and streams["skmsg"]:
            for mode in modes:
                if not streams[mode]:
                    continue
                rs = streams[mode]
                print(f"stream {mode:6} {m(rs, 'stream_mib_per_s'):8.1f} MiB/s "
                      f"(min {min(r['stream_mib_per_s'] for r in rs):.1f}, max "
                      f"{max(r['stream_mib_per_s'] for r in rs):.1f}; TCP bytes acked "
                      f"{m(rs, 'stream_tcp_bytes_acked'):.0f}, {len(rs)} runs of "
                      f"{rs[0]['stream_mib']} MiB)")
            for base in ("tcp", "plain"):
                if streams[base]:
                    print(f"stream: fast path / {base} {m(streams['skmsg'], 'stream_mib_per_s') / m(streams[base], 'stream_mib_per_s'):.2f}x")

    if any(k.startswith("anchor.") for k in s):
        anchor(d, s, machine, targets)

    if targets:
        section("targets")
        for name, ok, detail in targets:
            print(f"{verdict(ok):8} {name}: {detail}")


if __name__ == "__main__":
    main()
