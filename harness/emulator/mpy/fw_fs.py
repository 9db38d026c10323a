# The module's filesystem for the MicroPython engine: `/` read-only (EACCES),
# `/bak` read-only (EROFS), `/usr` a host folder of fixed size where a write that
# needs more blocks than are free raises OSError(28), as littlefs does
# (DESIGN.md "Filesystem"; the same accounting as harness/emulator/devfs.py).
import io

import vfs

ENOSPC, EACCES, EISDIR = 28, 13, 21
DIR_TYPE = 0x4000


class QuotaFile(io.IOBase):
    """A file of /usr opened for writing: every write is checked against the free space."""

    def __init__(self, fs, raw, size):
        self._fs = fs
        self._raw = raw
        self._size = size
        self._pos = 0

    def write(self, data):
        end = self._pos + len(data)
        if end > self._size:
            self._fs.grow(self._size, end)
            self._size = end
        n = self._raw.write(data)
        self._pos += n
        return n

    def read(self, *args):
        return self._raw.read(*args)

    def readinto(self, *args):
        return self._raw.readinto(*args)

    def readline(self, *args):
        return self._raw.readline(*args)

    def seek(self, offset, whence=0):
        self._pos = self._raw.seek(offset, whence)
        return self._pos

    def tell(self):
        return self._pos

    def flush(self):
        self._raw.flush()

    def close(self):
        self._raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __iter__(self):
        return iter(self._raw)


class _Delegate:
    def __init__(self, host_dir):
        self.p = vfs.VfsPosix(host_dir)

    def mount(self, readonly, mkfs):
        pass

    def umount(self):
        pass

    def stat(self, path):
        return self.p.stat(path)

    def chdir(self, path):
        self.p.chdir(path)

    def getcwd(self):
        return self.p.getcwd()


class ReadOnlyRoot(_Delegate):
    """`/`: nothing but the mount points; not writable."""

    def ilistdir(self, path):
        return self.p.ilistdir(path)

    def open(self, path, mode):
        if "w" in mode or "a" in mode or "+" in mode:
            raise OSError(EACCES)
        return self.p.open(path, mode)

    def statvfs(self, path):
        return (4096, 4096, 0, 0, 0, 0, 0, 0, 0, 255)

    def mkdir(self, path):
        raise OSError(EACCES)

    def remove(self, path):
        raise OSError(EACCES)

    def rmdir(self, path):
        raise OSError(EACCES)

    def rename(self, old, new):
        raise OSError(EACCES)


class QuotaFs(_Delegate):
    """/usr: the user partition, `size` bytes in blocks of `block`."""

    def __init__(self, host_dir, size, block):
        _Delegate.__init__(self, host_dir)
        self.block = block
        self.total = size // block
        self.used = 0
        self.recount()

    def _blocks(self, size):
        return (size + self.block - 1) // self.block

    def _walk(self, path):
        used = 0
        for entry in self.p.ilistdir(path):
            full = path.rstrip("/") + "/" + entry[0]
            if entry[1] == DIR_TYPE:
                used += 1 + self._walk(full)  # a block per folder, as devfs.py counts
            else:
                used += self._blocks(self.p.stat(full)[6])
        return used

    def recount(self):
        self.used = self._walk("/")

    def free(self):
        return max(0, self.total - self.used)

    def grow(self, old_size, new_size):
        extra = self._blocks(new_size) - self._blocks(old_size)
        if extra > 0:
            if extra > self.free():
                raise OSError(ENOSPC)
            self.used += extra

    # -- the VFS methods MicroPython calls ---------------------------------

    def open(self, path, mode):
        if "w" not in mode and "a" not in mode and "+" not in mode:
            return self.p.open(path, mode)
        self.recount()  # the host side may have changed /usr meanwhile
        size = 0
        if "w" not in mode:
            try:
                size = self.p.stat(path)[6]
            except OSError:
                pass
        raw = self.p.open(path, mode)
        f = QuotaFile(self, raw, size if "w" not in mode else 0)
        if "a" in mode:
            f._pos = size
        return f

    def ilistdir(self, path):
        # the firmware yields (name, type, 0, size) (vfs_lfsx.c:297-305, per the notes)
        for entry in self.p.ilistdir(path):
            full = path.rstrip("/") + "/" + entry[0]
            size = 0 if entry[1] == DIR_TYPE else self.p.stat(full)[6]
            yield (entry[0], entry[1], 0, size)

    def statvfs(self, path):
        self.recount()
        bs = self.block
        free = self.free()
        return (bs, bs, self.total, free, free, 0, 0, 0, 0, 255)

    def mkdir(self, path):
        self.recount()
        self.grow(0, 1)
        try:
            self.p.mkdir(path)
        except OSError:
            self.used -= 1
            raise

    def remove(self, path):
        if self.p.stat(path)[0] & DIR_TYPE:
            raise OSError(EISDIR)
        self.p.remove(path)
        self.recount()

    def rmdir(self, path):
        self.p.rmdir(path)
        self.recount()

    def rename(self, old, new):
        self.p.rename(old, new)
        self.recount()


def mount_all(root, usr_bytes, block):
    """Replace the host's `/` with the module's: `/`, `/bak` and `/usr`."""
    vfs.umount("/")
    vfs.mount(ReadOnlyRoot(root + "/.top"), "/")
    vfs.mount(vfs.VfsPosix(root + "/bak"), "/bak", readonly=True)
    vfs.mount(QuotaFs(root + "/usr", usr_bytes, block), "/usr")
