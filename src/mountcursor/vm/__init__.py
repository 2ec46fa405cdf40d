"""Boot real kernels of other generations (older than this machine's, and the newest Debian ships) and run the project inside them.

``mountcursor vm --kernel 5.10|6.1|6.12|7.2 -- probe`` fetches the newest Debian kernel of
the suite that ships that generation (:data:`mountcursor.vm.apt.SUITES`) through a
private apt configuration (:mod:`mountcursor.vm.apt`, the archive's address read from
this machine's own apt sources by :mod:`mountcursor.vm.sources`), builds an initramfs of
busybox and the kernel's virtio/9p modules (:mod:`mountcursor.vm.initramfs`), boots it
under QEMU with this machine's ``/`` as a read-only 9p root (:mod:`mountcursor.vm.boot`)
and brings back the job's exit status, standard output and standard error.  The
README table of every generation is :mod:`mountcursor.vm.table`.

This is tooling around the project, not part of the model or of the live reader:
nothing in :mod:`mountcursor.kernel`, :mod:`mountcursor.live` or :mod:`mountcursor.verify`
imports it.
"""
