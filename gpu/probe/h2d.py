# Host->device copy rates on the GPU machine: pageable vs pinned, and host memcpy (what a staging copy costs).
import time, torch
n = 256 * 3 * 224 * 224
src = torch.randn(n)
pin = torch.empty(n).pin_memory()
dst = torch.empty(n, device="cuda")
def t(f, k=5):
    f(); torch.cuda.synchronize()
    best = 1e9
    for _ in range(k):
        t0 = time.perf_counter(); f(); torch.cuda.synchronize(); best = min(best, time.perf_counter() - t0)
    return best
mb = n * 4 / 1e6
for name, f in [("pageable H2D", lambda: dst.copy_(src)), ("pinned H2D", lambda: dst.copy_(pin)),
                ("host copy to pinned (1 thread)", lambda: pin.copy_(src))]:
    s = t(f)
    print(f"{name}: {s*1e3:.2f} ms for {mb:.0f} MB = {mb/1e3/s:.1f} GB/s")
torch.set_num_threads(16)
s = t(lambda: pin.copy_(src)); print(f"host copy to pinned ({torch.get_num_threads()} threads): {s*1e3:.2f} ms")
