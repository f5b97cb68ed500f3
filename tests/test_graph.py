"""Tests for sim.engine.graph: CSR invariants, generators (vs networkx), vectorized queries, edge-list loader."""
from pathlib import Path
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pytest
from omegaconf import OmegaConf

from sim.engine.graph import (CompleteGraph, Graph, GraphError, barabasi_albert, build_graph, erdos_renyi,
                       load_edgelist, watts_strogatz)

FACEBOOK = Path(__file__).resolve().parents[2] / "shared" / "data" / "facebook_combined.txt"

GENERATORS = {
    "ba": lambda rng: barabasi_albert(5000, 3, rng),
    "ws": lambda rng: watts_strogatz(4000, 6, 0.1, rng),
    "er": lambda rng: erdos_renyi(5000, 8.0, rng),
}


def assert_simple_csr(g: Graph) -> None:
    """indptr/indices well formed, rows sorted without duplicates or self-loops, adjacency symmetric."""
    assert g.indptr.dtype == np.int64 and g.indices.dtype == np.int32
    assert g.indptr.shape == (g.n + 1,) and g.indptr[0] == 0 and g.indptr[-1] == len(g.indices)
    rows = np.repeat(np.arange(g.n), g.degree())
    key = rows * g.n + g.indices
    assert np.all(np.diff(key) > 0)  # sorted by (row, col): no duplicates
    assert not np.any(rows == g.indices)
    assert np.array_equal(np.sort(g.indices.astype(np.int64) * g.n + rows), key)  # (i,j) <=> (j,i)


def brute_adjacency(g: Graph) -> list[set]:
    return [set(g.neighbors(i).tolist()) for i in range(g.n)]


def small_graph() -> Graph:
    """ER graph with isolated people and a wide range of degrees."""
    return erdos_renyi(300, 3.0, np.random.default_rng(3))


def test_from_edges_symmetrizes_and_drops_loops_and_duplicates():
    g = Graph.from_edges(5, np.array([0, 1, 2, 2, 3, 1]), np.array([1, 0, 2, 3, 2, 4]))
    assert_simple_csr(g)
    assert g.n_edges == 3
    assert [g.neighbors(i).tolist() for i in range(5)] == [[1], [0, 4], [3], [2], [1]]
    with pytest.raises(GraphError):
        Graph.from_edges(3, np.array([0]), np.array([3]))


@pytest.mark.parametrize("name", GENERATORS)
def test_generators_make_simple_graphs_deterministically(name):
    g = GENERATORS[name](np.random.default_rng(1))
    assert_simple_csr(g)
    again = GENERATORS[name](np.random.default_rng(1))
    assert np.array_equal(g.indptr, again.indptr) and np.array_equal(g.indices, again.indices)
    other = GENERATORS[name](np.random.default_rng(2))
    assert not np.array_equal(g.indices, other.indices)


def test_barabasi_albert_matches_networkx_statistically():
    n, m = 20_000, 3
    deg = barabasi_albert(n, m, np.random.default_rng(0)).degree()
    ref = np.array([d for _, d in nx.barabasi_albert_graph(n, m, seed=0).degree()])
    assert deg.mean() == pytest.approx(ref.mean(), rel=0.02)
    assert deg.min() >= 1 and np.median(deg) == pytest.approx(np.median(ref), abs=1)
    assert 1 / 3 < deg.max() / ref.max() < 3
    # heavy tail: P(deg > 10m) ~ 1/100 for tail exponent 3; Poisson noise on ~200 nodes is ~7%
    assert 0.6 < np.mean(deg > 10 * m) / np.mean(ref > 10 * m) < 1.6


def test_watts_strogatz_without_rewiring_is_the_ring_lattice():
    g = watts_strogatz(1000, 6, 0.0, np.random.default_rng(0))
    assert np.all(g.degree() == 6)
    assert g.neighbors(0).tolist() == [1, 2, 3, 997, 998, 999]
    rewired = watts_strogatz(1000, 6, 0.2, np.random.default_rng(0))
    assert rewired.degree().mean() == pytest.approx(6, rel=0.01)  # few rewired edges collide
    for k in (1, 5, 1000):
        with pytest.raises(GraphError, match="graph.k"):
            watts_strogatz(1000, k, 0.1, np.random.default_rng(0))


def test_erdos_renyi_mean_degree():
    g = erdos_renyi(20_000, 10.0, np.random.default_rng(0))
    assert g.degree().mean() == pytest.approx(10.0, rel=0.01)  # only ~0.05% of pairs collide


def test_random_neighbor_returns_neighbours_uniformly_and_minus_one_for_isolated():
    g = small_graph()
    rng = np.random.default_rng(5)
    persons = rng.integers(0, g.n, 20_000)
    picks = g.random_neighbor(persons, rng.random(len(persons)))
    adj = brute_adjacency(g)
    isolated = g.degree()[persons] == 0
    assert isolated.any() and np.all(picks[isolated] == -1)
    assert all(q in adj[p] for p, q in zip(persons[~isolated], picks[~isolated]))
    # uniformity: 60k draws for one person of degree d; chi-square with d-1 dof stays below 4*d
    # (mean d-1, sd sqrt(2(d-1)), so this fails with probability << 1e-4)
    hub = int(np.argmax(g.degree()))
    d = g.degree()[hub]
    counts = np.unique(g.random_neighbor(np.full(60_000, hub), rng.random(60_000)), return_counts=True)[1]
    assert len(counts) == d
    assert ((counts - 60_000 / d) ** 2 / (60_000 / d)).sum() < 4 * d
    last = g.random_neighbor(np.array([hub]), np.array([np.nextafter(1.0, 0.0)]))
    assert last[0] == g.neighbors(hub)[-1]


def test_count_neighbors_in_matches_brute_force():
    g = small_graph()
    rng = np.random.default_rng(6)
    mask = rng.random(g.n) < 0.4
    persons = np.concatenate((rng.integers(0, g.n, 500), np.flatnonzero(g.degree() == 0)))
    adj = brute_adjacency(g)
    assert g.count_neighbors_in(persons, mask).tolist() == [sum(mask[j] for j in adj[p]) for p in persons]
    assert g.count_neighbors_in(np.array([], dtype=np.int64), mask).shape == (0,)


def test_neighbor_mean_matches_brute_force():
    g = small_graph()
    values = np.random.default_rng(7).random(g.n)
    expected = [np.mean([values[j] for j in nb]) if nb else values[i] for i, nb in enumerate(brute_adjacency(g))]
    assert np.allclose(g.neighbor_mean(values), expected)


def test_complete_graph_matches_explicit_graph():
    n = 7
    src, dst = np.triu_indices(n, 1)
    explicit, implicit = Graph.from_edges(n, src, dst), CompleteGraph(n)
    rng = np.random.default_rng(8)
    persons, u, mask, values = rng.integers(0, n, 200), rng.random(200), rng.random(n) < 0.5, rng.random(n)
    assert implicit.n_edges == explicit.n_edges == 21
    assert np.array_equal(implicit.degree(), explicit.degree())
    assert all(np.array_equal(implicit.neighbors(i), explicit.neighbors(i)) for i in range(n))
    assert np.array_equal(implicit.random_neighbor(persons, u), explicit.random_neighbor(persons, u))
    assert np.array_equal(implicit.count_neighbors_in(persons, mask), explicit.count_neighbors_in(persons, mask))
    assert np.allclose(implicit.neighbor_mean(values), explicit.neighbor_mean(values))
    alone = CompleteGraph(1)
    assert alone.random_neighbor(np.array([0]), np.array([0.5])).tolist() == [-1]
    assert alone.neighbor_mean(np.array([0.3])).tolist() == [0.3]


@pytest.mark.skipif(not FACEBOOK.exists(), reason="shared Facebook data set not present")
def test_load_snap_facebook():
    g, labels = load_edgelist(FACEBOOK)
    assert (g.n, g.n_edges) == (4039, 88234)
    assert np.array_equal(labels, np.arange(4039))
    assert_simple_csr(g)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_load_csv_with_header_and_sparse_labels(tmp_path):
    g, labels = load_edgelist(write(tmp_path, "e.csv", "% comment\nsource,target\n10, 30\n30,20\n\n"))
    assert labels.tolist() == [10, 20, 30]
    assert [g.neighbors(i).tolist() for i in range(3)] == [[2], [2], [0, 1]]


def test_load_tsv(tmp_path):
    g, labels = load_edgelist(write(tmp_path, "e.tsv", "# c\n1\t2\n2\t3\n"))
    assert (g.n, g.n_edges, labels.tolist()) == (3, 2, [1, 2, 3])


@pytest.mark.parametrize("text", ["1,2\n2,3,0.5\n", "1 2\n2 3 heavy\n", "1\t2\n2\t3\t1700000000\n"])
def test_a_third_column_is_refused_not_read_as_a_weight(tmp_path, text):
    """Friendships have no weights: a weighted file would lose its meaning silently, so it is refused."""
    with pytest.raises(GraphError, match=r"'.*w.txt', line 2: a third column \('.+', a weight\?\) is not read: "
                                         r"friendships here have no weights; keep only the two node ids"):
        load_edgelist(write(tmp_path, "w.txt", text))


def test_a_directory_is_named_as_one(tmp_path):
    with pytest.raises(GraphError, match=rf"graph.path '{tmp_path}' is a directory, not a file"):
        load_edgelist(tmp_path)


def test_a_file_of_only_self_loops_has_no_friendship(tmp_path):
    with pytest.raises(GraphError, match="contains only self-loops: no friendship between two people"):
        load_edgelist(write(tmp_path, "loops.txt", "1 1\n2 2\n"))


def test_a_file_changed_on_disk_is_read_again(tmp_path):
    """The last file read is kept, keyed by its modification time and size: an edited file is not stale."""
    path = write(tmp_path, "e.txt", "1 2\n")
    assert load_edgelist(path)[0].n == 2
    path.write_text("1 2\n2 3\n")
    assert load_edgelist(path)[0].n == 3


def test_erdos_renyi_without_a_friendship_is_refused():
    with pytest.raises(GraphError, match=r"graph.mean_degree=0 gives the 300 people no friendship"):
        erdos_renyi(300, 0.0, np.random.default_rng(0))
    assert erdos_renyi(300, 0.01, np.random.default_rng(0)).n_edges == 2  # round(300 x 0.01 / 2): some friendship


@pytest.mark.parametrize("text, line", [
    ("1,2\n3,x\n", 2),          # non-numeric id
    ("# c\n1 2\n2 3 4 5\n", 3),  # too many columns
    ("1 2\n3\n", 2),            # too few columns
    ("1 2\nsrc dst\n", 2),      # header not on the first data line
    ("1 2\n-1 2\n", 2),         # negative id
])
def test_malformed_lines_name_file_and_line(tmp_path, text, line):
    with pytest.raises(GraphError, match=rf"graph.path '.*bad.txt', line {line}: .*fix the line or remove it"):
        load_edgelist(write(tmp_path, "bad.txt", text))


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(GraphError, match="'nowhere.csv' does not exist .*one pair of integer node ids"):
        load_edgelist("nowhere.csv")
    with pytest.raises(GraphError, match="contains no edges"):
        load_edgelist(write(tmp_path, "empty.txt", "# only a comment\nsource target\n"))


def test_self_loops_and_duplicates_warn_and_are_dropped(tmp_path):
    with pytest.warns(UserWarning, match=r"dropped 1 self-loop\(s\) and 2 duplicate edge\(s\)"):
        g, labels = load_edgelist(write(tmp_path, "d.txt", "1 1\n1 2\n2 1\n1 2\n2 3\n"))
    assert (g.n, g.n_edges, labels.tolist()) == (3, 2, [1, 2, 3])


def test_build_graph_dispatches_on_kind(tmp_path):
    rng = np.random.default_rng(0)
    cfg = OmegaConf.create({"kind": "barabasi_albert", "m": 2, "k": 4, "p": 0.1, "mean_degree": 4.0, "path": None})
    assert build_graph(cfg, 500, rng).n_edges > 900
    assert build_graph(SimpleNamespace(kind="watts_strogatz", k=4, p=0.0), 500, rng).n_edges == 1000
    assert build_graph(SimpleNamespace(kind="erdos_renyi", mean_degree=4.0), 500, rng).n == 500
    assert isinstance(build_graph(SimpleNamespace(kind="complete"), 500, rng), CompleteGraph)
    path = write(tmp_path, "e.txt", "5 6\n6 7\n")
    assert build_graph(SimpleNamespace(kind="edgelist", path=str(path)), 500, rng).n == 3
    with pytest.raises(GraphError, match="graph.path is required"):
        build_graph(OmegaConf.merge(cfg, {"kind": "edgelist"}), 500, rng)
    with pytest.raises(GraphError, match="choose one of: barabasi_albert, watts_strogatz"):
        build_graph(SimpleNamespace(kind="lattice"), 500, rng)
