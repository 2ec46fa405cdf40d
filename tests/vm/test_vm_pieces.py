"""The pieces of ``mountcursor vm`` that need no boot: apt sources (one-line and deb822),
the private apt configuration, module load order from ``depends=``, the initramfs and its
``/init``, the vmlinux inside a bzImage, the job script, and the KVM-or-TCG choice."""

from __future__ import annotations

import gzip
import lzma
import os
import struct
import subprocess

import pytest
from click.testing import CliRunner

from mountcursor.cli.app import main
from mountcursor.cli.vm_cmd import KERNELS
from mountcursor.vm.apt import SUITES, PrivateApt, newest_image, parse_depends
from mountcursor.vm.boot import choose_accel, job_script, qemu_command
from mountcursor.vm.initramfs import (
    InitramfsError, cpio, extract_vmlinux, init_script, load_order, modinfo, modules_for,
)
from mountcursor.vm.sources import Source, SourcesError, debian_archive, parse_deb822, parse_one_line, read_sources

DEB822 = """\
Types: deb
# a comment inside
URIs: http://archive.example/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb deb-src
URIs: http://archive.example/debian-security
Suites: bookworm-security
Components: main

Enabled: no
Types: deb
URIs: http://off.example/debian
Suites: trixie
Components: main
"""


def test_deb822_stanzas() -> None:
    got = parse_deb822(DEB822, "x.sources")
    assert got == [
        Source("http://archive.example/debian", ("bookworm", "bookworm-updates"), ("main", "contrib"),
               "/usr/share/keyrings/debian-archive-keyring.gpg"),
        Source("http://archive.example/debian-security", ("bookworm-security",), ("main",), None),
    ]
    assert [s.where for s in got] == ["x.sources:1", "x.sources:8"]
    assert debian_archive(got).uri == "http://archive.example/debian"


def test_deb822_errors_name_file_and_line() -> None:
    with pytest.raises(SourcesError, match=r"^y.sources:3: expected 'Field: value', got 'nonsense'$"):
        parse_deb822("Types: deb\nURIs: http://a/\nnonsense\n", "y.sources")
    with pytest.raises(SourcesError, match=r"^y.sources:2: the stanza has no Suites: field$"):
        parse_deb822("\nTypes: deb\nURIs: http://a/\n", "y.sources")
    with pytest.raises(SourcesError, match=r"^y.sources:1: a continuation line before any field$"):
        parse_deb822(" indented\n", "y.sources")


def test_one_line_sources() -> None:
    text = ("# comment\n\ndeb-src http://a.example/debian bookworm main\n"
            "deb [arch=amd64 signed-by=/k.gpg] http://a.example/debian bullseye main non-free # tail\n"
            "deb http://third.example/apt nodistro main\n")
    got = parse_one_line(text, "s.list")
    assert got == [Source("http://a.example/debian", ("bullseye",), ("main", "non-free"), "/k.gpg"),
                   Source("http://third.example/apt", ("nodistro",), ("main",), None)]
    assert [s.where for s in got] == ["s.list:4", "s.list:5"]
    with pytest.raises(SourcesError, match=r"^s.list:1: expected URI and suite after deb$"):
        parse_one_line("deb http://only-uri\n", "s.list")
    with pytest.raises(SourcesError, match=r"^s.list:2: expected deb or deb-src, got 'rpm'$"):
        parse_one_line("\nrpm http://x y\n", "s.list")


def test_the_debian_archive_is_a_release_suite_with_main(tmp_path) -> None:  # noqa: ANN001
    """A third party's suite (``nodistro``, ``cloud-sdk-bookworm``) and -security are passed over."""
    d = tmp_path / "sources.list.d"
    d.mkdir()
    (tmp_path / "sources.list").write_text("deb http://third.example/apt nodistro main\n"
                                           "deb http://cloud.example/apt cloud-sdk-bookworm main\n")
    (d / "debian.sources").write_text(DEB822)
    (d / "z.list").write_text("deb http://sec.example/debian-security bookworm-security main\n")
    srcs = read_sources(str(tmp_path))
    assert [s.uri for s in srcs] == ["http://third.example/apt", "http://cloud.example/apt",
                                     "http://sec.example/debian-security", "http://archive.example/debian",
                                     "http://archive.example/debian-security"]
    assert debian_archive(srcs).uri == "http://archive.example/debian"
    with pytest.raises(SourcesError, match="no apt source serves a Debian release suite with 'main'"):
        debian_archive(srcs[:3])


def test_the_private_apt_uses_only_its_own_directories(tmp_path) -> None:  # noqa: ANN001
    apt = PrivateApt(str(tmp_path / "trixie"), Source("http://a.example/debian", ("bookworm",), ("main",), "/k.gpg"),
                     "trixie")
    apt.prepare()
    assert (tmp_path / "trixie" / "sources.list").read_text() == \
        "deb [arch=amd64 signed-by=/k.gpg] http://a.example/debian trixie main\n"
    assert (tmp_path / "trixie" / "state" / "status").read_bytes() == b""
    opts = dict(o.split("=", 1) for o in apt.options() if "=" in o)
    r = str(tmp_path / "trixie")
    assert opts["Dir::State"] == f"{r}/state" and opts["Dir::State::status"] == f"{r}/state/status"
    assert opts["Dir::Cache"] == f"{r}/cache" and opts["Dir::Etc::SourceList"] == f"{r}/sources.list"
    assert opts["Dir::Etc::SourceParts"] == "-"
    assert not any("/var/lib/apt" in o or "/var/cache/apt" in o or "/boot" in o for o in apt.options())


def test_the_newest_image_from_the_metapackage() -> None:
    out = ("linux-image-amd64\n  Depends: linux-image-6.12.117+deb13-amd64\n"
           " |Depends: <virtual-x>\n  PreDepends: dpkg\n")
    assert parse_depends(out) == ["linux-image-6.12.117+deb13-amd64", "virtual-x", "dpkg"]
    assert newest_image(parse_depends(out)) == "linux-image-6.12.117+deb13-amd64"
    assert newest_image(["linux-image-5.10.0-32-amd64"]) == "linux-image-5.10.0-32-amd64"
    assert newest_image(["linux-image-6.1.0-50-amd64-unsigned"]) == "linux-image-6.1.0-50-amd64-unsigned"
    with pytest.raises(RuntimeError, match=r"depends on no kernel image \(it depends on dpkg\)"):
        newest_image(["dpkg"])


def test_the_cli_kernels_are_the_suites() -> None:
    assert KERNELS == tuple(SUITES) and SUITES == {"5.10": "bullseye", "6.1": "bookworm", "6.12": "trixie",
                                                   "7.2": "sid"}


def test_no_host_name_in_the_vm_modules() -> None:
    import mountcursor.vm as vm

    where = os.path.dirname(vm.__file__)
    for name in os.listdir(where):
        if name.endswith(".py"):
            with open(os.path.join(where, name), encoding="utf-8") as fh:
                text = fh.read()
            assert "debian.org" not in text and "http://" not in text, name


def elf_module(info: dict[str, str]) -> bytes:
    """A minimal ELF64 relocatable with a ``.modinfo`` section (what modpost writes)."""
    modinfo_data = b"".join(f"{k}={v}".encode() + b"\0" for k, v in info.items())
    shstr = b"\0.shstrtab\0.modinfo\0"
    body = 64
    shstr_off, mod_off = body, body + len(shstr)
    shoff = mod_off + len(modinfo_data)
    head = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + struct.pack("<HHIQQQIHHHHHH", 1, 62, 1, 0, 0, shoff, 0,
                                                                   64, 0, 0, 64, 3, 1)
    sh = bytes(64)
    sh += struct.pack("<IIQQQQIIQQ", 1, 3, 0, 0, shstr_off, len(shstr), 0, 0, 1, 0)
    sh += struct.pack("<IIQQQQIIQQ", 11, 1, 0, 0, mod_off, len(modinfo_data), 0, 0, 1, 0)
    return head + shstr + modinfo_data + sh


def test_modinfo_reads_depends() -> None:
    assert modinfo(elf_module({"name": "9p", "depends": "netfs,9pnet"})) == {"name": "9p", "depends": "netfs,9pnet"}
    with pytest.raises(InitramfsError, match="not an ELF64 object"):
        modinfo(b"MZ" + bytes(100))


def test_load_order_dependencies_first_builtins_out() -> None:
    deps = {"9p": ["netfs", "9pnet"], "9pnet_virtio": ["virtio_ring", "9pnet", "virtio"], "9pnet": [],
            "netfs": ["fscache"], "fscache": [], "virtio_pci": ["virtio_ring", "virtio"], "virtio_ring": [],
            "virtio": []}
    assert load_order(("virtio_pci", "9pnet_virtio", "9p"), deps, set()) == [
        "virtio_ring", "virtio", "virtio_pci", "9pnet", "9pnet_virtio", "fscache", "netfs", "9p"]
    assert load_order(("virtio_pci", "9pnet_virtio", "9p"), deps, {"virtio", "virtio_ring", "virtio_pci",
                                                                     "fscache"}) == [
        "9pnet", "9pnet_virtio", "netfs", "9p"]
    with pytest.raises(InitramfsError, match=r"^module netfs is neither in the package nor built in \(needed by 9p\)$"):
        load_order(("9p",), {"9p": ["netfs"]}, set())
    with pytest.raises(InitramfsError, match=r"in a circle: a -> b -> a$"):
        load_order(("a",), {"a": ["b"], "b": ["a"]}, set())


def test_modules_for_a_package_tree(tmp_path) -> None:  # noqa: ANN001
    """A 6.12-like tree: .ko.xz files, no modules.dep, virtio built in (modules.builtin)."""
    k = tmp_path / "kernel"
    (k / "fs" / "9p").mkdir(parents=True)
    (k / "net" / "9p").mkdir(parents=True)
    (k / "fs" / "netfs").mkdir(parents=True)

    def put(path, name, depends):  # noqa: ANN001, ANN202
        (k / path).write_bytes(lzma.compress(elf_module({"depends": depends, "name": name})))

    put("fs/9p/9p.ko.xz", "9p", "netfs,9pnet")
    put("net/9p/9pnet.ko.xz", "9pnet", "")
    put("net/9p/9pnet_virtio.ko.xz", "9pnet_virtio", "9pnet,virtio_ring,virtio")
    put("net/9p/9pnet_fd.ko.xz", "9pnet_fd", "9pnet")
    put("fs/netfs/netfs.ko.xz", "netfs", "")
    (tmp_path / "modules.builtin").write_text(
        "kernel/drivers/virtio/virtio.ko\nkernel/drivers/virtio/virtio_ring.ko\nkernel/drivers/virtio/virtio_pci.ko\n")
    got = modules_for(str(tmp_path))
    assert [n for n, _ in got] == ["9pnet", "9pnet_virtio", "netfs", "9p"]
    assert modinfo(got[0][1])["name"] == "9pnet"  # decompressed


def test_init_script_text() -> None:
    text = init_script(["9pnet", "9pnet_virtio", "9p"])
    lines = text.splitlines()
    assert lines[0] == "#!/bin/busybox sh"
    assert [ln for ln in lines if ln.startswith("insmod")] == [
        "insmod /modules/00-9pnet.ko || fail 'insmod 9pnet'",
        "insmod /modules/01-9pnet_virtio.ko || fail 'insmod 9pnet_virtio'",
        "insmod /modules/02-9p.ko || fail 'insmod 9p'"]
    assert ("mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot /newroot "
            "|| fail 'mount the host root'") in lines
    assert lines.index("insmod /modules/02-9p.ko || fail 'insmod 9p'") < lines.index(
        "mount -t proc proc /newroot/proc || fail 'mount /proc'")
    assert lines[-1] == ("exec switch_root /newroot /bin/sh -c 'cd /; . /run/mountcursor-vm/job "
                         ">/run/mountcursor-vm/stdout 2>/run/mountcursor-vm/stderr; echo $? "
                         ">/run/mountcursor-vm/status; sync; echo o >/proc/sysrq-trigger; "
                         "while :; do sleep 1; done'")
    p = subprocess.run(["sh", "-n"], input=text.encode(), capture_output=True)
    assert p.returncode == 0, p.stderr


def _read_cpio(data: bytes) -> list[tuple[str, int, int, bytes]]:
    out = []
    off = 0
    while True:
        assert data[off:off + 6] == b"070701"
        f = [int(data[off + 6 + 8 * i:off + 14 + 8 * i], 16) for i in range(13)]
        namesize, size = f[11], f[6]
        name = data[off + 110:off + 110 + namesize - 1].decode()
        off = (off + 110 + namesize + 3) & ~3
        body = data[off:off + size]
        off = (off + size + 3) & ~3
        if name == "TRAILER!!!":
            assert off == len(data)
            return out
        out.append((name, f[1], (f[9] << 8) | f[10], body))


def test_cpio_newc() -> None:
    data = cpio(["bin"], [("init", 0o755, b"#!/bin/sh\n"), ("bin/x", 0o644, b"12345")], [("dev/console", 5, 1)])
    # magic, ino 1, mode, uid, gid, nlink 1, mtime, size, dev, rdev, namesize 4 ("bin\0"), check
    assert data[:110] == (b"070701" + b"00000001" + b"000041ED" + b"0" * 16 + b"00000001" + b"0" * 48
                          + b"00000004" + b"0" * 8)
    assert _read_cpio(data) == [("bin", 0o40755, 0, b""), ("init", 0o100755, 0, b"#!/bin/sh\n"),
                                ("bin/x", 0o100644, 0, b"12345"), ("dev/console", 0o20600, (5 << 8) | 1, b"")]
    assert len(data) % 4 == 0


def test_vmlinux_from_a_bzimage() -> None:
    elf = b"\x7fELF" + os.urandom(3000)
    assert extract_vmlinux(b"MZ setup \xfd7zXZ\x00 not a stream " + lzma.compress(elf, format=lzma.FORMAT_XZ)
                           + b"\x00size") == elf
    assert extract_vmlinux(b"setup" + gzip.compress(elf) + b"tail") == elf
    assert extract_vmlinux(b"setup" + lzma.compress(b"not elf") + b"tail") is None


@pytest.mark.parametrize("modules, usable, accel", [
    ({"kvm_intel"}, True, "kvm"), ({"kvm_amd"}, True, "kvm"), ({"kvm_intel"}, False, "tcg"),
    (set(), True, "tcg"),  # a paravirtual /dev/kvm (no kvm_intel/kvm_amd): stock kernels hang on it
    (set(), False, "tcg")])
def test_kvm_only_where_kvm_intel_or_amd_drives_it(modules, usable, accel) -> None:  # noqa: ANN001
    assert choose_accel(modules, usable) == accel


def test_qemu_shares_the_root_read_only() -> None:
    cmd = qemu_command("/k/vmlinux", "/k/initrd", "/c/out-1", "/c/console.log", "tcg")
    virtfs = [cmd[i + 1] for i, a in enumerate(cmd) if a == "-virtfs"]
    assert virtfs == ["local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
                      "local,path=/c/out-1,mount_tag=vmout,security_model=none"]
    assert cmd[cmd.index("-machine") + 1] == "pc,accel=tcg" and "-no-reboot" in cmd
    assert "mitigations=off" in cmd[cmd.index("-append") + 1].split()


def test_job_script_quotes_every_argument(tmp_path) -> None:  # noqa: ANN001
    argv = ["sh", "-c", 'printf "[%s]\\n" "$@"; echo "$X_Y"; pwd', "sh", "a b", "c'd", "$HOME", "-- probe"]
    job = tmp_path / "job"
    job.write_text(job_script(argv, str(tmp_path), {"X_Y": "v 'w'"}))
    p = subprocess.run(["sh", "-c", f". {job}"], capture_output=True, cwd="/")
    assert p.stdout == f"[a b]\n[c'd]\n[$HOME]\n[-- probe]\nv 'w'\n{tmp_path}\n".encode()


def test_missing_qemu_is_one_line(monkeypatch, tmp_path) -> None:  # noqa: ANN001
    monkeypatch.setenv("PATH", str(tmp_path))
    res = CliRunner().invoke(main, ["vm", "--kernel", "6.1", "--", "probe"])
    assert res.exit_code == 3
    assert res.stderr == "mountcursor: vm: qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)\n"


def test_a_checkout_under_tmp_is_shared_into_the_guest() -> None:
    """The guest mounts a fresh /tmp and /run over the host's root: a checkout or a venv
    under them (CI clones into /tmp) is shared again, read-only, at the same place."""
    from mountcursor.vm.boot import guest_shares

    assert guest_shares(["/tmp/fresh", "/tmp/fresh/.venv", "/tmp/fresh/.venv/bin"]) == [("vmshare0", "/tmp/fresh")]
    assert guest_shares(["/work/main", "/root/.pyenv"]) == []
    assert guest_shares(["/run/x/y", "/tmp/a/b"]) == [("vmshare0", "/run/x"), ("vmshare1", "/tmp/a")]
    cmd = qemu_command("/k/vmlinux", "/k/initrd", "/c/out-1", "/c/console.log", "tcg",
                       shares=[("vmshare0", "/tmp/fresh")])
    virtfs = [cmd[i + 1] for i, a in enumerate(cmd) if a == "-virtfs"]
    assert virtfs[2] == "local,path=/tmp/fresh,mount_tag=vmshare0,security_model=none,readonly=on,multidevs=remap"
    text = init_script(["9p"])
    assert text.index("mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp") < text.index("/newroot/run/mountcursor-vm/shares")
    assert 'mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 "$tag" "/newroot$dir"' in text


def test_a_job_that_cannot_start_still_reports_its_status(tmp_path) -> None:  # noqa: ANN001
    """``exit`` in the job (no such directory) ends its subshell, not the shell that
    sourced it: the guest's PID 1 goes on to write the status."""
    job = tmp_path / "job"
    job.write_text(job_script(["true"], str(tmp_path / "nowhere"), {}))
    p = subprocess.run(["sh", "-c", f". {job}; echo status=$?"], capture_output=True, cwd="/")
    assert p.stdout == b"status=127\n"
