# Payloads made ON the module from a seed (MicroPython 1.13 / QuecPython, and
# CPython), so they need not cross the serial link: block i of a payload is
# sha256(seed + i as 4 big-endian bytes); a text is whole lines of GEN_WORDS
# drawn from the same stream. harness/scenario/payload_gen.py makes the same bytes on the
# host. One step, `gen`, printing one result line like hil_ftp's steps.
# Apart from hil_ftp.py so the FTP steps compile no more than they did.
from hil_common import (
    BLOCK,
    ENOSPC,
    error_errno,
    free_space,
    hashlib,
    hexdigest,
    remove_quietly,
    report,
)

GEN_SIZE = 32  # bytes of one generated block (one sha256)
GEN_BLOCKS = 32  # generated blocks per write: 1 KiB
# the words of a generated text, as harness/scenario/payload_gen.py has them
GEN_WORDS = ('module', 'cellular', 'ftp', 'QuecPython', 'payload', 'line', 'checksum', 'usr',
             'EC600U', 'retr', 'stor', '42', '0x1F', 'end')
GEN_MAX_WORDS = 9


class _GenStream:
    # the bytes of sha256(seed + i as 4 big-endian bytes) for i = 0, 1, ...
    def __init__(self, seed):
        self.seed = seed
        self.counter = bytearray(4)
        self.index = 0
        self.block = b''
        self.pos = 0

    def next_block(self):
        i = self.index
        self.counter[0] = (i >> 24) & 255
        self.counter[1] = (i >> 16) & 255
        self.counter[2] = (i >> 8) & 255
        self.counter[3] = i & 255
        self.index = i + 1
        h = hashlib.sha256(self.seed)
        h.update(self.counter)
        return h.digest()

    def next_byte(self):
        if self.pos >= len(self.block):
            self.block = self.next_block()
            self.pos = 0
        self.pos += 1
        return self.block[self.pos - 1]


def _gen_binary(stream, size):
    # yields 1 KiB pieces of the binary payload
    made = 0
    while made < size:
        parts = []
        while len(parts) < GEN_BLOCKS and made + GEN_SIZE * len(parts) < size:
            parts.append(stream.next_block())
        chunk = b''.join(parts)[:size - made]
        made += len(chunk)
        yield chunk


def _gen_text(stream, size, eol):
    # yields pieces of whole lines of GEN_WORDS until `size` bytes (the host's size)
    made = 0
    while made < size:
        lines = []
        n = 0
        while n < BLOCK and made + n < size:
            count = 1 + stream.next_byte() % GEN_MAX_WORDS
            words = [GEN_WORDS[stream.next_byte() % len(GEN_WORDS)] for i in range(count)]
            line = (' '.join(words) + eol).encode()
            lines.append(line)
            n += len(line)
        made += n
        yield b''.join(lines)


def gen(a):
    # make a payload here instead of receiving it over the serial link, from a seed
    # (harness/scenario/payload_gen.py makes the same bytes on the host). The free space is
    # checked first: a size /usr cannot hold fails at once with ENOSPC and what was
    # free, and nothing is written.
    path = a['path']
    size = a['size']
    block, free = free_space(path)
    if size + block > free:  # one block more for the file's own metadata
        return {'ok': False, 'step': 'gen', 'errno': ENOSPC, 'free': free, 'bytes': 0,
                'error': 'a %d-byte payload does not fit: %d bytes free' % (size, free)}
    stream = _GenStream(a['seed'].encode())
    if a.get('eol') is None:
        pieces = _gen_binary(stream, size)
    else:
        pieces = _gen_text(stream, size, a['eol'])
    h = hashlib.sha256()
    written = 0
    done = False
    f = open(path, 'wb')
    try:
        for chunk in pieces:
            f.write(chunk)
            h.update(chunk)
            written += len(chunk)
        done = True
    finally:
        f.close()
        if not done:
            remove_quietly(path)  # a failed payload leaves nothing behind
    return {'ok': True, 'step': 'gen', 'bytes': written, 'sha256': hexdigest(h),
            'free': free}


STEPS = {'gen': gen}


def run(step, args):
    # the host's single entry point: always exactly one result line, in one write
    try:
        result = STEPS[step](args)
    except Exception as exc:
        result = {'ok': False, 'step': step, 'errno': error_errno(exc),
                  'error': '%s: %s' % (type(exc).__name__, exc)}
    report(result)
