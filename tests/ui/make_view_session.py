#!/usr/bin/python3
"""Makes tests/ui/data/view-session: the record of a real run of the mnist-tiny preset without
its bulky arrays (weights, optimiser state, overfit directions and conditioning), so that the
workbench's golden screens of the stored panes (entropy, loss, rho, compare) can be checked
against a real session on any machine. The probe-driven panes cannot open it (no weights):
they are tested against the tiny_mnist fixture instead.

    build/ocd run mnist-tiny --session /tmp/mnist-tiny
    python3 tests/ui/make_view_session.py /tmp/mnist-tiny tests/ui/data/view-session

tests/ui/data/view-session-old is the same record made before the eval stage stored per-sample
values and paired intervals (issue 13): the workbench and `ocd results` must still read it.
"""
import os
import sys

import h5py

DROP = ("weights", "checkpoint", "directions", "cond_input", "cond_activation", "cond_output", "test_renders")


def copy(src, dst):
    # attributes keep their exact types (fixed-length UTF-8 strings, as the workbench writes)
    for k in src.attrs:
        dst.attrs.create(k, src.attrs[k], dtype=src.attrs.get_id(k).dtype)
    for name, item in src.items():
        if name in DROP:
            continue
        if isinstance(item, h5py.Group):
            copy(item, dst.create_group(name))
        else:
            src.copy(item, dst, name=name)


def main():
    src_dir, dst_dir = sys.argv[1], sys.argv[2]
    os.makedirs(dst_dir, exist_ok=True)
    with h5py.File(os.path.join(src_dir, "session.h5"), "r") as s, h5py.File(os.path.join(dst_dir, "session.h5"), "w") as d:
        copy(s, d)


if __name__ == "__main__":
    main()
