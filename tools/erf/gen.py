import json, sys
d = json.load(open(sys.argv[1])); name = sys.argv[2]  # e.g. BP_ERF16
N, D = d['N'], d['D']
def row(vals):
    return ', '.join(float(v).hex().replace('0x0.0p+0','0x0p+0') + 'f' for v in vals)
def hexf(v):
    s = float(v).hex()
    if s == '0x0.0p+0': s = '0x0p+0'
    # strip trailing zeros of mantissa
    m, e = s.split('p'); m = m.rstrip('0').rstrip('.') if '.' in m else m
    return m + 'p' + e + 'f'
lines = []
iv = d['iv']
def table(tn, vals):
    lines.append('static const float %s_%s[%d] __attribute__((aligned(%d))) = {' % (name, tn, N, 4*N))
    for i in range(0, N, 4):
        lines.append('    ' + ', '.join(hexf(v) for v in vals[i:i+4]) + ',')
    lines.append('};')
table('A', [v['a'] for v in iv])
table('C0', [v['c0'] for v in iv])
for j in range(D):
    table('R%d' % j, [v['R'][j] for v in iv])
print('\n'.join(lines))
print('// threshold', hexf(d['T']))
