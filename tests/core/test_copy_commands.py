"""copy_range and sendfile (kernel-semantics §9.8): sharing, copying, positions, xfs_io's slips."""

from __future__ import annotations

from mapviz.core.simulation import Simulation
from mapviz.scenario import parse_scenario


def _run(text: str) -> Simulation:
    return Simulation.from_scenario(parse_scenario(text, "t.scenario"))


def _extents(sim: Simulation, name: str) -> list[tuple[int, int, str, bool]]:
    view = sim.steps[-1].files[name]
    return [(e.offset, e.length, e.state, e.shared) for e in view.extents]


SOURCE = "%fs xfs\nopen -f src\npwrite 0 64k\nfsync\nopen -f dst\n"


def test_an_aligned_copy_on_xfs_shares_the_blocks() -> None:
    sim = _run(SOURCE + "copy_range -s 8k -d 0 -l 16k src\n")
    assert _extents(sim, "dst") == [(0, 16384, "written", True)]
    assert sim.steps[-1].files["dst"].size == 16384


def test_an_unaligned_copy_goes_through_the_page_cache() -> None:
    sim = _run(SOURCE + "copy_range -s 100 -d 0 -l 16k src\n")
    assert _extents(sim, "dst") == [(0, 16384, "delalloc", False)]


def test_a_shortened_clone_is_finished_by_a_copy() -> None:
    # one block shared, the 1904 bytes after it copied by xfs_io's second call
    sim = _run(SOURCE + "copy_range -s 0 -d 64k -l 6000 src\n")
    shared, copied = _extents(sim, "dst")
    assert shared == (65536, 4096, "written", True)
    # (the copy's write reserves speculative preallocation past EOF too, §4.5)
    assert copied[0] == 69632 and copied[2:] == ("delalloc", False)
    assert sim.steps[-1].files["dst"].size == 65536 + 6000


def test_ext4_always_copies_and_the_bytes_are_the_sources() -> None:
    text = SOURCE.replace("%fs xfs", "%fs ext4") + "copy_range src\nfsync\n"
    sim = _run(text)
    dest = sim.machine.fs.files["dst"]
    source = sim.machine.fs.files["src"]
    assert dest.content.equal(0, source.content, 0, 65536)
    assert all(not shared for *_, shared in _extents(sim, "dst"))


def test_sendfile_writes_at_the_position_and_moves_it() -> None:
    sim = _run(SOURCE + "sendfile -i src 0 8k\nsendfile -i src 0 8k\n")
    assert [s.output for s in sim.steps[-2:]] == [
        ("sent 8192/8192 bytes at offset 0",),
        ("sent 8192/8192 bytes at offset 0",),
    ]
    assert sim.steps[-1].files["dst"].size == 16384
    assert sim.machine.process.files[1].position == 16384


def test_copy_range_f_takes_file_0_and_closes_its_descriptor() -> None:
    sim = _run(
        SOURCE + "copy_range -f 1\nfile 0\npwrite 0 4k\nopen -f other\nfile 0\npwrite 0 4k\n"
    )
    results = [(s.command, s.result) for s in sim.steps[-6:]]
    assert results == [
        ("copy_range -f 1", "ok"),
        ("file 0", "ok"),
        ("pwrite 0 4k", "EBADF"),
        ("open -f other", "ok"),
        ("file 0", "ok"),
        ("pwrite 0 4k", "ok"),  # the descriptor number now belongs to "other"
    ]
    assert sim.steps[-1].files["other"].size == 4096


def test_a_failing_copy_range_is_its_error() -> None:
    sim = _run(SOURCE + "open -f -a ap\ncopy_range src\nsendfile -i src 0 4k\n")
    assert [s.result for s in sim.steps[-2:]] == ["EBADF", "EINVAL"]


def test_a_zero_length_copy_is_still_one_call_with_its_checks() -> None:
    # xfs_io's do-while loop: copy_file_range(len 0) on a read-only destination is EBADF
    sim = _run("%fs ext4\nopen -f empty\nopen -f -r ro\ncopy_range empty\ncopy_range -l 0 empty\n")
    assert [s.result for s in sim.steps[-2:]] == ["EBADF", "EBADF"]


def test_exchangerange_swaps_blocks_sizes_and_bytes() -> None:
    sim = _run(
        "%fs xfs exchange\nopen -f new\npwrite -S 0x62 0 32k\nopen -f data\n"
        "pwrite -S 0x61 0 64k\nfsync\nexchangerange new\n"
    )
    machine = sim.machine
    data, new = machine.fs.files["data"], machine.fs.files["new"]
    assert (data.size, new.size) == (32768, 65536)
    assert sim.steps[-1].result == "ok"
    # data's written blocks are new's now, and the bytes went with them
    assert [(e.offset, e.length, e.state) for e in sim.steps[-1].files["new"].extents] == [
        (0, 65536, "written")
    ]
    assert list(new.content.runs(0, 65536)) == [(0, 65536, 0x61)]
    assert list(data.content.runs(0, 32768)) == [(0, 32768, 0x62)]


def test_exchangerange_needs_the_feature_and_refuses_a_sealed_file() -> None:
    plain = _run("%fs xfs\nopen -f a\npwrite 0 8k\nopen -f b\nexchangerange a\n")
    assert plain.steps[-1].result == "EOPNOTSUPP"
    ext4 = _run("%fs ext4\nopen -f a\nopen -f b\nexchangerange a\n")
    assert ext4.steps[-1].result == "skipped"
    sealed = _run(
        "%kernel map-direct-v5\n%fs xfs dax exchange\nopen -f a\npwrite 0 8k\nfsync\n"
        "open -f b\npwrite 0 8k\nfsync\nmmap -D 0 8k\nexchangerange a\n"
    )
    assert sealed.steps[-1].result == "ETXTBSY"


def test_seek_moves_the_position_sendfile_writes_at() -> None:
    # seek -d's lseek(SEEK_DATA) finds 16k, and the loop's one more lseek(SEEK_HOLE)
    # leaves f_pos at 20k: sendfile writes there (measured: size 24576; seed 60198)
    sim = _run(
        "%fs xfs\nopen -f src\npwrite 0 8k\nopen -f dst\npwrite 16k 4k\n"
        "seek -d 0\nsendfile -i src 0 4k\n"
    )
    assert sim.machine.process.files[1].position == 24576
    assert sim.steps[-1].files["dst"].size == 24576


def test_an_extent_size_hint_allocates_aligned_unwritten_blocks_at_write_time() -> None:
    sim = _run("%fs xfs\nopen -f a\nextsize\nextsize 64k\nextsize\npwrite 4k 4k\n")
    assert [s.output for s in sim.steps[1:4:2]] == [("[0] a",), ("[65536] a",)]
    assert [(e.offset, e.length, e.state) for e in sim.steps[-1].files["a"].extents] == [
        (0, 65536, "unwritten")
    ]


def test_extent_size_hint_rules() -> None:
    sim = _run(
        "%fs xfs\nopen -f a\npwrite 0 4k\nfsync\nextsize 64k\nextsize 0\n"
        "open -f b\nextsize 6000\ncowextsize 16k\n"
    )
    assert [s.result for s in sim.steps[-5:]] == ["EINVAL", "ok", "ok", "EINVAL", "ok"]
    assert sim.machine.fs.files["b"].cowextsize == 4
    ext4 = _run("%fs ext4\nopen -f a\nextsize 64k\n")
    assert ext4.steps[-1].result == "skipped"


def test_the_hint_aligns_fallocate_and_direct_writes() -> None:
    # measured on 6.18 (extsize-falloc-direct-xfs): both round to the whole hint
    sim = _run(
        "%fs xfs\nopen -f a\nextsize 64k\nfalloc 4k 4k\nopen -d -f b\nextsize 64k\npwrite 4k 4k\n"
    )
    files = sim.steps[-1].files
    assert [(e.offset, e.length, e.state) for e in files["a"].extents] == [(0, 65536, "unwritten")]
    assert [(e.offset, e.length, e.state) for e in files["b"].extents] == [
        (0, 4096, "unwritten"),
        (4096, 4096, "written"),
        (8192, 57344, "unwritten"),
    ]
