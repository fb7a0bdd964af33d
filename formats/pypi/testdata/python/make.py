"""Writes the distributions in this folder with Python's own zipfile and
tarfile, the way setuptools and wheel write them, so the tests read archives
that Go did not write. Run with any python3 >= 3.7 from this folder:

    python3 make.py
"""
import base64
import gzip
import hashlib
import io
import tarfile
import zipfile

MTIME = 1700000000
METADATA = b"""Metadata-Version: 2.1
Name: Py.Made
Version: 2.0.post1+py.1
Summary: Written by Python's zipfile and tarfile
Requires-Python: >=3.7
Requires-Dist: stockpile-greeting (>=1.0)
Description-Content-Type: text/markdown

# Py.Made

Unicode in the body: caf\xc3\xa9.
"""


def record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d\n" % (name, digest, len(data))


def wheel():
    di = "py_made-2.0.post1+py.1.dist-info/"
    files = [
        ("py_made/__init__.py", b"VALUE = 42\n"),
        (di + "METADATA", METADATA),
        (di + "WHEEL", b"Wheel-Version: 1.0\nGenerator: make.py\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
    ]
    record = "".join(record_line(n, d) for n, d in files) + di + "RECORD,,\n"
    files.append((di + "RECORD", record.encode()))
    with zipfile.ZipFile("py_made-2.0.post1+py.1-py3-none-any.whl", "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=(2023, 11, 14, 22, 13, 20))
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)


def sdist():
    top = "py_made-2.0.post1+py.1/"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in [(top + "PKG-INFO", METADATA), (top + "py_made/__init__.py", b"VALUE = 42\n"),
                           (top + "py_made.egg-info/PKG-INFO", METADATA)]:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), MTIME, 0o644
            t.addfile(info, io.BytesIO(data))
    with open("py_made-2.0.post1+py.1.tar.gz", "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=MTIME, filename="") as g:
            g.write(buf.getvalue())


wheel()
sdist()
