#!/usr/bin/python3
"""layers.py SOURCE_ROOT COMPILE_COMMANDS_JSON: the layer rules of the build, checked on the
sources and on the compile commands (README, CMakeLists.txt):
  - src/core includes only its own headers, include/synack and the C library's pure headers (no
    clock, no I/O, no threads, no system network headers); its compile commands name only
    src/core and include/ as include paths;
  - the edges (src/api, src/inspect, src/drivers, src/preload, src/packetdrill) and tools/ never
    include a core header (stack_impl.h, tcb.h, ...), and their compile commands do not put
    src/core (or src/, from which core/... would resolve) on the include path;
  - tools/ includes only tools/ headers and include/synack (no driver-private headers).
Before the real tree, the checker runs on a small tree with one planted violation of each rule
and must find each: a checker that finds nothing cannot pass."""
import json, os, re, shlex, sys, tempfile

EDGES = ["src/api", "src/inspect", "src/drivers", "src/preload", "src/packetdrill"]
CORE_FORBIDDEN_SYS = re.compile(r"^(time|unistd|pthread|signal|fcntl|poll|threads)\.h$|^(sys|netinet|arpa|linux|net)/")
INC = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def files_under(root, rel, exts=(".c", ".h")):
    base = os.path.join(root, rel)
    for d, _, names in os.walk(base):
        for n in names:
            if n.endswith(exts):
                yield os.path.join(d, n)


def resolve(root, src, name, search):
    """The file a quoted include names: next to the includer first, then each search dir."""
    for d in [os.path.dirname(src)] + [os.path.join(root, s) for s in search]:
        p = os.path.normpath(os.path.join(d, name))
        if os.path.isfile(p):
            return p
    return None


def check_sources(root):
    errors = []
    core = os.path.join(root, "src/core") + os.sep
    for f in files_under(root, "src/core"):
        for kind, name in INC.findall(open(f, errors="replace").read()):
            rel = os.path.relpath(f, root)
            if kind == "<":
                if not name.startswith("synack/") and CORE_FORBIDDEN_SYS.search(name):
                    errors.append("%s: the core includes <%s> (clock, I/O, threads or network)" % (rel, name))
                continue
            p = resolve(root, f, name, ["src/core"])
            if not p or not p.startswith(core):
                errors.append('%s: the core includes "%s", which is not a core header' % (rel, name))
    for layer in EDGES + ["tools"]:
        for f in files_under(root, layer):
            rel = os.path.relpath(f, root)
            own = os.path.join(root, layer) + os.sep
            for kind, name in INC.findall(open(f, errors="replace").read()):
                if kind == "<":
                    continue
                # Resolved as the widest include path would (src/core, src): a core header is
                # found whatever the build's flags are.
                p = resolve(root, f, name, ["src/core", "src", "tools"])
                if p and p.startswith(core):
                    errors.append('%s: includes the core-private header "%s"' % (rel, name))
                elif layer == "tools" and p and not p.startswith(own):
                    errors.append('%s: includes "%s" from outside tools/ (only include/synack is shared)' % (rel, name))
    return errors


def check_commands(root, commands):
    errors = []
    core_dir = os.path.normpath(os.path.join(root, "src/core"))
    src_dir = os.path.normpath(os.path.join(root, "src"))
    allowed_core = {core_dir, os.path.normpath(os.path.join(root, "include"))}
    seen_core = 0
    for e in commands:
        f = os.path.normpath(e["file"])
        if not f.startswith(os.path.normpath(root) + os.sep):
            continue
        rel = os.path.relpath(f, root)
        args = e.get("arguments") or shlex.split(e["command"])
        incs = []
        for i, a in enumerate(args):
            for flag in ("-I", "-isystem", "-iquote"):
                if a == flag and i + 1 < len(args):
                    incs.append(args[i + 1])
                elif a.startswith(flag) and len(a) > len(flag):
                    incs.append(a[len(flag):])
        incs = [os.path.normpath(os.path.join(e.get("directory", "."), x)) for x in incs]
        incs = [x for x in incs if x.startswith(os.path.normpath(root) + os.sep)]  # the tree only
        if rel.startswith("src/core/"):
            seen_core += 1
            bad = [x for x in incs if x not in allowed_core]
            if bad:
                errors.append("%s compiled with %s on the include path (core: src/core and include/ only)" % (rel, bad))
        elif any(rel.startswith(l + "/") for l in EDGES + ["tools"]):
            bad = [x for x in incs if x in (core_dir, src_dir)]
            if bad:
                errors.append("%s compiled with %s on the include path (core headers reachable)" % (rel, bad))
    if commands and not seen_core:
        errors.append("no src/core file in the compile commands")
    return errors


def planted_tree():
    """A tree with one violation of each rule; returns (root, commands, how many expected)."""
    root = tempfile.mkdtemp(prefix="synack-layers-")
    def put(rel, text):
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        open(p, "w").write(text)
    put("src/core/stack_impl.h", "")
    put("src/core/tcp/tcb.h", "")
    put("src/core/ok.c", '#include "stack_impl.h"\n#include "tcp/tcb.h"\n#include <string.h>\n')
    put("src/core/clock.c", "#include <time.h>\n")                      # 1: a clock in the core
    put("src/core/up.c", '#include "../drivers/link.h"\n')              # 2: the core names a driver
    put("src/drivers/link.h", "")
    put("src/api/socket.c", '#include "stack_impl.h"\n')                # 3: the API into the core
    put("src/drivers/loop.c", '#include "tcp/tcb.h"\n#include "link.h"\n')  # 4
    put("tools/x.h", "")
    put("tools/serve.c", '#include "x.h"\n#include "drivers/link.h"\n')     # 5: a driver-private header
    d = os.path.join(root, "build")
    cmds = [
        {"directory": d, "file": os.path.join(root, "src/core/ok.c"), "command": "cc -I%s/src/core -I%s/include -I%s/src -c x" % (root, root, root)},  # 6
        {"directory": d, "file": os.path.join(root, "src/api/socket.c"), "arguments": ["cc", "-I", root + "/src/core", "-c", "x"]},  # 7
        {"directory": d, "file": os.path.join(root, "tools/serve.c"), "command": "cc -I%s/include -I%s/tools -c x" % (root, root)},
    ]
    return root, cmds, 7


def main():
    root = os.path.abspath(sys.argv[1])
    proot, pcmds, want = planted_tree()
    found = check_sources(proot) + check_commands(proot, pcmds)
    if len(found) != want:
        print("FAIL: layers: the checker found %d of %d planted violations:" % (len(found), want))
        for e in found:
            print("  ", e)
        return 1
    commands = json.load(open(sys.argv[2]))
    errors = check_sources(root) + check_commands(root, commands)
    for e in errors:
        print("FAIL: layers:", e)
    if errors:
        return 1
    n = sum(1 for e in commands if os.path.normpath(e["file"]).startswith(root + os.sep))
    print("layers: %d planted violations found; the tree has none (%d compile commands)" % (want, n))
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
