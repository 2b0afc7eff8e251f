"""Channel tracking: from a construction to the sends on it, through real LibCST metadata."""

import textwrap

import libcst as cst
from libcst.metadata import MetadataWrapper

from dispatch_lint.api import TRACKING_METADATA, channel_map


class Probe(cst.BatchableCSTVisitor):
    METADATA_DEPENDENCIES = TRACKING_METADATA

    def __init__(self, text):
        super().__init__()
        self.text = text
        self.found = None

    def visit_Module(self, node):
        self.found = channel_map(self, node, "probe.py", self.text)
        self.again = channel_map(self, node, "probe.py", self.text)


def track(code):
    text = textwrap.dedent(code)
    probe = Probe(text)
    MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True).visit_batched([probe])
    assert probe.again is probe.found  # one map per module, shared by the rules
    return probe.found


def sends(code):
    """`receiver: binding name, capacity, awaited?, in async def?` for every tracked send."""
    return [
        f"{s.receiver}: {s.binding.name} {s.binding.capacity_text()} "
        f"{'await' if s.awaited else 'call'} {'async' if s.in_async_def else 'sync'}"
        for s in track(code).sends
    ]


def test_local_variable_and_module_global():
    assert sends("""
        import asyncio
        G = asyncio.Queue(3)
        async def f():
            q = asyncio.Queue(maxsize=5)
            await q.put(1)
            await G.put(2)
    """) == ["q: q capacity 5 await async", "G: G capacity 3 await async"]


def test_global_assigned_inside_a_function():
    assert sends("""
        import asyncio
        def setup():
            global INBOX
            INBOX = asyncio.Queue(7)
        async def f():
            await INBOX.put(1)
    """) == ["INBOX: INBOX capacity 7 await async"]


def test_tuple_unpacking_sends_only_on_the_send_end():
    assert sends("""
        import trio
        async def f():
            tx, rx = trio.open_memory_channel(0)
            await tx.send(1)
            await rx.send(2)
    """) == ["tx: tx capacity 0, a rendezvous await async"]


def test_tuple_of_constructions():
    assert sends("""
        import asyncio
        async def f():
            a, b = asyncio.Queue(1), asyncio.Queue(2)
            await b.put(1)
    """) == ["b: b capacity 2 await async"]


def test_attribute_assigned_in_one_method_used_in_another_and_in_a_closure():
    assert sends("""
        import asyncio
        class A:
            def __init__(self):
                self.inbox = None
            def start(self):
                self.inbox = asyncio.Queue(4)
            async def tell(self, m):
                await self.inbox.put(m)
                def later():
                    self.inbox.put(m)
    """) == ["self.inbox: self.inbox capacity 4 await async", "self.inbox: self.inbox capacity 4 call sync"]


def test_attribute_with_an_unknown_assignment_is_not_tracked():
    assert sends("""
        import asyncio
        class A:
            def __init__(self, other):
                self.inbox = asyncio.Queue(4)
            def swap(self, other):
                self.inbox = other
            async def tell(self, m):
                await self.inbox.put(m)
    """) == []


def test_attribute_rebound_by_augmented_assignment_or_loop_is_not_tracked():
    assert sends("""
        import asyncio
        class A:
            def __init__(self, queues):
                self.inbox = asyncio.Queue(4)
                for self.inbox in queues:
                    pass
            async def tell(self, m):
                await self.inbox.put(m)
    """) == []


def test_conflicting_capacities_are_not_tracked():
    assert sends("""
        import asyncio
        async def f(flag):
            if flag:
                q = asyncio.Queue(4)
            else:
                q = asyncio.Queue()
            await q.put(1)
    """) == []


def test_parameters_and_other_objects_are_unknown():
    assert sends("""
        import asyncio
        async def f(q, actor):
            await q.put(1)
            await actor.inbox.put(1)
    """) == []


def test_staticmethod_first_parameter_is_not_self():
    assert sends("""
        import asyncio
        class A:
            def __init__(self):
                self.inbox = asyncio.Queue(4)
            @staticmethod
            async def tell(self, m):
                await self.inbox.put(m)
    """) == []


def test_class_attribute_and_dataclass_fields():
    found = track("""
        import asyncio
        from dataclasses import dataclass, field
        @dataclass
        class Box:
            mailbox: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(10))
            spare: asyncio.Queue = field(default_factory=asyncio.Queue)
            shared: asyncio.Queue = asyncio.Queue(2)
            async def go(self):
                await self.mailbox.put(1)
                await self.spare.put(1)
                await Box.shared.put(1)
    """)
    assert [f"{b.name} {b.capacity_text()} {b.site.class_name}" for b in found.bindings] == [
        "mailbox capacity 10 Box", "spare unbounded Box", "shared capacity 2 Box"]
    assert [s.receiver for s in found.sends] == ["self.mailbox", "self.spare", "Box.shared"]


def test_janus_views_clone_and_containers():
    assert sends("""
        import asyncio, janus, trio
        class A:
            def __init__(self, names):
                self.jq = janus.Queue(3)
                self.tx, self.rx = trio.open_memory_channel(1)
                self.boxes = {n: asyncio.Queue(6) for n in names}
            async def go(self):
                await self.jq.async_q.put(1)
                view = self.jq.sync_q
                view.put(1)
                await self.tx.clone().send(1)
                await self.boxes["a"].put(1)
                await self.jq.put(1)
    """) == [
        "self.jq.async_q: self.jq capacity 3 await async",
        "view: self.jq capacity 3 call async",
        "self.tx.clone(): self.tx capacity 1 await async",
        'self.boxes["a"]: self.boxes capacity 6 await async',
    ]


def test_class_constants_give_the_capacity():
    assert sends("""
        import asyncio
        class A:
            SIZE = 2 * 8
            def __init__(self):
                self.a = asyncio.Queue(self.SIZE)
                self.b = asyncio.Queue(A.SIZE + 1)
            async def go(self):
                await self.a.put(1)
                await self.b.put(1)
    """) == ["self.a: self.a capacity 16 await async", "self.b: self.b capacity 17 await async"]


def test_sends_on_and_binding_at():
    found = track("""
        import asyncio
        inbox = asyncio.Queue(1)
        other = asyncio.Queue(1)
        async def go():
            await inbox.put(1)
            await other.put(1)
            await inbox.put(2)
    """)
    first = found.bindings[0]
    assert found.binding_at(first.construction) is first
    assert len(found.sends_on(first)) == 2 and all(s.binding is first for s in found.sends_on(first))


def test_unbound_construction_is_still_a_binding():
    found = track("""
        import asyncio
        tasks = []
        tasks.append(asyncio.Queue(3))
    """)
    [binding] = found.bindings
    assert binding.names == () and binding.name == "<unnamed channel>" and binding.site.name is None
