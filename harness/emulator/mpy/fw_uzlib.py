# uzlib.decompress, over the deflate module of newer MicroPython
import io

import deflate


def decompress(data, wbits=15):
    fmt = deflate.ZLIB if wbits > 0 else deflate.RAW
    return deflate.DeflateIO(io.BytesIO(data), fmt).read()
