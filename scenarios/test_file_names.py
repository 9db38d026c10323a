"""File names beyond ASCII, as a Chinese-speaking user names files.

The module's MicroPython ignores the encoding an ftplib asks for (Quectel's ftplib asks for
'latin-1'), and on the legacy firmware a str is a byte string (no unicode strings): the
host sends the name as its UTF-8 bytes, which every build reads alike, and the server
speaks UTF-8 (RFC 2640). The name must survive STOR, NLST, LIST, RETR and DELE with every
ftplib, and on the module's own flash.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.scenario import FtpRun, digest_of, ops
from harness.scenario.outcomes import nlst_names

NAMES = ["测试文件.bin", "Überweisung März.txt"]


@pytest.mark.parametrize("name", NAMES, ids=["chinese", "german"])
def test_non_ascii_name_survives_stor_list_nlst_retr_dele(
        ftp_run: FtpRun, name: str, make_payload: Callable[[int], bytes]) -> None:
    data = make_payload(3000)
    folder = ftp_run.server_dir("names")
    remote = folder + "/" + name
    ftp_run.owns(remote)
    local = ftp_run.on_module(name, data)
    back = ftp_run.device_path("back-" + name)
    s = ftp_run.session([ops.mkd(folder),
                         ops.stor(local, remote),
                         ops.nlst(folder),
                         ops.list_(folder),
                         ops.retr(remote, back)])
    assert s.result.ok, s.summary()
    assert ftp_run.server.digest(remote) == digest_of(data), \
        "the server holds no file named %r with the module's data" % remote
    assert nlst_names(s.op("nlst").get("lines")) == [name], \
        "NLST: %r" % s.op("nlst").get("lines")
    listing = s.op("list").get("lines")
    assert len(listing) == 1 and listing[0].endswith(" " + name), "LIST: %r" % listing
    assert s.op("retr").get("file_sha256") == digest_of(data).sha256, s.summary()
    gone = ftp_run.session([ops.dele(remote)])
    assert gone.op("dele").code == 250, gone.summary()
    assert ftp_run.server.digest(remote) is None, "DELE answered 250, the file is still there"
