"""A generation names a suite, and the suite's metapackage names the release: the release
must be of that generation (sid moves on), its packages may be split (Debian's 7.x), and a
moving suite's lists are fetched again.  No network: the answers apt gave on 6 Dec 2026."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from mountcursor.vm.apt import (
    LISTS_MAX_AGE, Fetched, FetchError, GenerationMoved, check_generation, generation_of, kernel_parts, lists_stale,
    newest_image, parse_depends, unpack,
)

#: ``apt-cache depends --no-recommends --no-suggests`` in sid, 6 Dec 2026
SID_META = "linux-image-amd64\n  Depends: linux-base-amd64\n  Depends: linux-image-7.2.13+deb14-amd64\n"
SID_IMAGE = ("linux-image-7.2.13+deb14-amd64\n  PreDepends: linux-base\n |Depends: dracut\n |Depends: initramfs-tools\n"
             "  Depends: <linux-initramfs-tool>\n    dracut\n    initramfs-tools\n    tiny-initramfs\n"
             "  Depends: linux-base-7.2.13+deb14-amd64\n  Depends: linux-binary-7.2.13+deb14-amd64\n"
             "  Depends: linux-modules-7.2.13+deb14-amd64\n  Breaks: <fwupdate>\n  Breaks: initramfs-tools\n"
             "  Breaks: wireless-regdb\n")


@pytest.mark.parametrize("image, generation", [
    ("linux-image-7.2.13+deb14-amd64", "7.2"), ("linux-image-6.12.117+deb13-amd64", "6.12"),
    ("linux-image-6.1.0-50-amd64", "6.1"), ("linux-image-5.10.0-32-amd64", "5.10"),
    ("linux-image-6.1.0-50-amd64-unsigned", "6.1"), ("linux-image-7.10.1+deb14-amd64", "7.10")])
def test_the_generation_of_an_image(image: str, generation: str) -> None:
    assert generation_of(image) == generation


def test_an_image_without_a_version() -> None:
    with pytest.raises(FetchError, match=r"^cannot tell the kernel version of linux-image-cloud-amd64$"):
        generation_of("linux-image-cloud-amd64")


def test_sid_ships_7_2_and_is_refused_once_it_moves_on() -> None:
    image = newest_image(parse_depends(SID_META))
    assert image == "linux-image-7.2.13+deb14-amd64"
    check_generation("7.2", "sid", image)
    with pytest.raises(GenerationMoved) as e:
        check_generation("7.2", "sid", "linux-image-7.3.1+deb14-amd64")
    assert str(e.value) == ("sid now ships linux-image-7.3.1+deb14-amd64 (Linux 7.3), not a 7.2 kernel: the "
                            "generation 7.2 is no longer in sid (mountcursor.vm.apt.SUITES maps each generation "
                            "to the suite that ships it)")
    with pytest.raises(GenerationMoved):  # 7.20 is not 7.2
        check_generation("7.2", "sid", "linux-image-7.20.1+deb14-amd64")


def test_the_parts_of_a_split_image() -> None:
    """7.x: the image depends on its binary, modules and base packages (same ABI); the
    other dependencies (initramfs tools, linux-base) are not the kernel's.  Up to trixie
    the image is one package."""
    assert kernel_parts("linux-image-7.2.13+deb14-amd64", parse_depends(SID_IMAGE)) == [
        "linux-base-7.2.13+deb14-amd64", "linux-binary-7.2.13+deb14-amd64", "linux-modules-7.2.13+deb14-amd64"]
    assert kernel_parts("linux-image-6.12.117+deb13-amd64", ["linux-base", "initramfs-tools", "kmod"]) == []
    assert kernel_parts("linux-image-6.1.0-50-amd64-unsigned", ["linux-modules-6.1.0-50-amd64"]) == [
        "linux-modules-6.1.0-50-amd64"]


def test_a_moving_suite_fetches_its_lists_again_after_a_day() -> None:
    lists = ["deb.debian.org_debian_dists_sid_main_binary-amd64_Packages.lz4"]
    assert lists_stale([], 1000.0, "bookworm", 1000.0)
    assert not lists_stale(lists, 1000.0, "sid", 1000.0 + LISTS_MAX_AGE)
    assert lists_stale(lists, 1000.0, "sid", 1000.0 + LISTS_MAX_AGE + 1)
    assert lists_stale(lists, None, "sid", 1000.0)  # lists from before the marker
    assert not lists_stale(lists, None, "bookworm", 1000.0)
    assert not lists_stale(lists, 1000.0, "bookworm", 1000.0 + 100 * LISTS_MAX_AGE)


def _deb(tmp_path, name: str, files: dict[str, bytes]) -> str:  # noqa: ANN001
    root = tmp_path / "build" / name
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(f"Package: {name}\nVersion: 7.2.13-1\nArchitecture: amd64\n"
                                             "Maintainer: t <t@t>\nDescription: t\n")
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    out = str(tmp_path / f"{name}_7.2.13-1_amd64.deb")
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "-b", str(root), out], check=True,
                   capture_output=True)
    return out


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is not installed")
def test_a_split_kernel_unpacks_into_one_tree(tmp_path) -> None:  # noqa: ANN001
    """7.x's layout: vmlinuz beside the modules (linux-binary), modules.builtin in
    linux-base, the modules in linux-modules, all under one ``usr/lib/modules/<release>``."""
    m = "usr/lib/modules/7.2.13+deb14-amd64"
    debs = [_deb(tmp_path, "linux-image-7.2.13+deb14-amd64", {"usr/share/doc/x/copyright": b"c"}),
            _deb(tmp_path, "linux-base-7.2.13+deb14-amd64", {f"{m}/modules.builtin": b"kernel/x/virtio.ko\n"}),
            _deb(tmp_path, "linux-binary-7.2.13+deb14-amd64", {f"{m}/vmlinuz": b"MZ kernel"}),
            _deb(tmp_path, "linux-modules-7.2.13+deb14-amd64", {f"{m}/kernel/fs/9p/9p.ko.xz": b"xz"})]
    dest = str(tmp_path / "unpacked" / "k")
    assert unpack(debs, dest) == dest and os.path.exists(dest + ".done")
    f = Fetched("sid", "linux-image-7.2.13+deb14-amd64", dest, "/bin/busybox")
    assert f.release == "7.2.13+deb14-amd64"
    assert f.modules_dir == os.path.join(dest, m)
    with open(f.vmlinuz, "rb") as fh:
        assert (f.vmlinuz, fh.read()) == (os.path.join(dest, m, "vmlinuz"), b"MZ kernel")
    assert sorted(os.listdir(f.modules_dir)) == ["kernel", "modules.builtin", "vmlinuz"]


def test_a_single_image_keeps_its_boot_vmlinuz(tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "boot").mkdir()
    (tmp_path / "boot" / "vmlinuz-6.1.0-50-amd64").write_bytes(b"MZ")
    (tmp_path / "lib" / "modules" / "6.1.0-50-amd64").mkdir(parents=True)
    f = Fetched("bookworm", "linux-image-6.1.0-50-amd64", str(tmp_path), "/bin/busybox")
    assert f.vmlinuz == str(tmp_path / "boot" / "vmlinuz-6.1.0-50-amd64")
