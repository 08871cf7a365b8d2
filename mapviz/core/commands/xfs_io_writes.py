"""Which write system calls one ``pwrite`` line of xfs_io 6.1 really makes.

xfsprogs 6.1's io/pwrite.c, as written (kernel-semantics §9.4):

* forward (the default, ``-F``): ``write_buffer()`` writes ``-b`` sized
  pieces from OFF on;
* backward (``-B``): ``write_backward()`` first writes the piece that ends at
  OFF at a buffer boundary, then whole buffers downwards -- but its loop
  compares the *count* left with the *offset* where the range ends, so it
  stops early (``pwrite -B 64k 16k`` writes nothing at all);
* ``-V N`` switches to ``pwritev()`` with N buffers of ``-b`` bytes, and
  ``do_pwritev()`` trims one vector for a short tail but passes all N: every
  call writes ``(N - 1) * bs`` bytes more than it meant once N > 1.  ``N`` is a
  global of xfs_io: it stays for every later ``pwrite`` of that process
  (``-V 0`` turns it off);
* ``-D`` (RWF_DSYNC) and ``-N`` (RWF_NOWAIT) are flags of ``pwritev2()``:
  without vectors xfs_io calls plain ``pwrite()``, and they are dropped.

>>> forward_calls(0, 12288, 4096, 2)
[(0, 8192), (8192, 8192)]
>>> backward_calls(65536, 16384, 4096)
([], 16384)
"""

from __future__ import annotations


def _vector_bytes(count: int, bsize: int, vectors: int) -> int:
    """What one ``do_pwritev(count)`` call writes: all N vectors, one of them trimmed."""
    if count >= bsize * vectors:
        return bsize * vectors
    before = 0
    while before + bsize < count:  # the vector the tail falls in
        before += bsize
    return bsize * (vectors - 1) + (count - before)


def _one_call(count: int, buffer: int, bsize: int, vectors: int) -> int:
    """Bytes of one ``do_pwrite(offset, count, buffer)``."""
    if not vectors:
        return min(count, buffer)
    return _vector_bytes(count, bsize, vectors)


def forward_calls(offset: int, count: int, bsize: int, vectors: int) -> list[tuple[int, int]]:
    """``write_buffer()``: the ``(offset, bytes)`` of each call, when every call succeeds.

    >>> forward_calls(0, 10000, 4096, 0)
    [(0, 4096), (4096, 4096), (8192, 1808)]
    >>> forward_calls(0, 0, 4096, 2)
    [(0, 4096)]
    """
    calls: list[tuple[int, int]] = []
    bar = min(bsize, count)
    while count >= 0:
        done = _one_call(count, bar, bsize, vectors)
        if done == 0:
            break
        calls.append((offset, done))
        offset += done
        count -= done
        if count == 0:
            break
    return calls


def backward_calls(
    offset: int, count: int, bsize: int, vectors: int = 0
) -> tuple[list[tuple[int, int]], int]:
    """``write_backward()``: the calls when every one succeeds, and the count xfs_io reports.

    >>> backward_calls(10240, 8192, 4096)
    ([(8192, 2048), (4096, 4096)], 8192)
    >>> backward_calls(16384, 16384, 4096, 2)
    ([(8192, 8192), (0, 8192)], 16384)
    """
    buffer = bsize * vectors if vectors else bsize  # io_buffersize
    end = offset - count
    if end < 0:
        count += end
        end = 0
    reported = count
    calls: list[tuple[int, int]] = []
    head = offset % buffer
    if head:
        head = min(count, head)
        offset -= head
        done = _one_call(head, buffer, bsize, vectors)
        if done == 0:
            return calls, reported
        calls.append((offset, done))
        count -= done
    while count > end:  # (sic) a count compared with an offset
        offset -= min(count, buffer)
        done = _one_call(count, buffer, bsize, vectors)
        calls.append((offset, done))
        count -= done
    return calls, reported
