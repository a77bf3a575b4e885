# Offline fit of the piecewise erf polynomials: numpy least squares on 400
# Chebyshev nodes per interval (double precision), coefficients rounded to
# float one at a time from the lowest order up, refitting the rest after each.
#   interval 0, t = |x| in [0, W):   erf = t + t*R(t), R ~ erf(t)/t - 1
#   interval k, t = |x| - a_k:       erf = c0 + t*R(t), c0 = float(erf(a_k)),
#   a_k a float near the middle chosen so erf(a_k) is within ~1e-5 ULP of c0.
import numpy as np, math, sys, struct, json, mpmath
mpmath.mp.dps = 40
f32 = lambda v: float(np.float32(v))
erf = np.vectorize(lambda v: float(mpmath.erf(v)))
def ulp32(y):
    y = abs(y); e = math.frexp(y)[1]; return 2.0**(e-24)
def fbits(a): return struct.unpack('<I', struct.pack('<f', a))[0]
def bitsf(b): return struct.unpack('<f', struct.pack('<I', b))[0]

# smallest float T with erf(T) rounding to 1.0f (ties: 1 - 2^-25 rounds to even = 1)
def threshold():
    b = fbits(3.5)
    while True:
        a = bitsf(b)
        if mpmath.erf(a) >= 1 - mpmath.mpf(2)**-25: return a
        b += 1
T = threshold()

def pick_center(lo, hi):
    best = None
    mid = f32((lo+hi)/2)
    cands = set()
    b = fbits(mid)
    for d in range(-20000, 20001, 1): cands.add(bitsf(b+d))
    # also solve erf(a) = F for floats F near erf(mid)
    F0 = f32(math.erf(mid))
    for d in range(-64, 65):
        F = bitsf(fbits(F0)+d)
        if F >= 1: continue
        a = f32(mpmath.erfinv(F))
        for dd in range(-3, 4): cands.add(bitsf(fbits(a)+dd))
    for a in cands:
        if not (lo + (hi-lo)*0.3 <= a <= lo + (hi-lo)*0.7): continue
        e = mpmath.erf(a)
        r = float(abs(e - f32(float(e))) / ulp32(float(e)))
        if best is None or r < best[0]: best = (r, a)
    return best[1], best[0]

def lsq_seq(t, target, ncoef, weight):
    cs = []
    for j in range(ncoef):
        resid = target - sum(c*t**i for i, c in enumerate(cs))
        A = np.stack([t**i for i in range(len(cs), ncoef)], 1)
        sol = np.linalg.lstsq(A*weight[:, None], resid*weight, rcond=None)[0]
        cs.append(f32(sol[0]))
    return cs

def horner(cs, t):
    p = np.zeros_like(t)
    for c in cs[::-1]: p = p*t + c
    return p

def fit(k, W, D, n=400):
    lo, hi = k*W, min((k+1)*W, T)
    th = np.cos(np.pi*(np.arange(n)+0.5)/n)
    x = lo + (hi-lo)*(th+1)/2
    if k == 0:
        t = x
        R = lsq_seq(t, erf(t)/t - 1, D, np.ones_like(t))
        return 0.0, 0.0, R, 0.0, lo, hi
    a, off = pick_center(lo, hi)
    c0 = f32(float(mpmath.erf(a)))
    t = x - a
    R = lsq_seq(t, (erf(x) - c0)/t, D, np.abs(t))  # weight |t|: absolute error of c0 + t R
    return a, c0, R, off, lo, hi

def err(k, a, c0, R, lo, hi):
    x = np.linspace(lo, hi, 4001)[1:-1]
    y = erf(x)
    if k == 0:
        p = x + x*horner(R, x); return np.max(np.abs(p-y)/y)/2**-24
    t = x - a; p = c0 + t*horner(R, t); return np.max(np.abs(p-y))/2**-24

N, W, D = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
out = []
for k in range(N):
    a, c0, R, off, lo, hi = fit(k, W, D)
    e = err(k, a, c0, R, lo, hi)
    print('%2d a=%-22s c0off=%.1e ulp  approx err=%.4f u%s' % (k, float(a).hex(), off, e, ' (relative)' if k == 0 else ''), file=sys.stderr)
    out.append(dict(k=k, a=a, c0=c0, R=R, err=e))
json.dump(dict(T=T, N=N, W=W, D=D, iv=out), sys.stdout)
print('T =', T, float(T).hex(), file=sys.stderr)
