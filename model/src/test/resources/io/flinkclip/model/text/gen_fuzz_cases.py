# Regenerates fuzz-cases.json (a flink-clip test fixture) with the real implementations:
#   pip install ftfy==6.3.1 regex ; CLIP_SRC=<checkout of openai/CLIP>/clip SHARED=<flink-clip>/../shared python3 gen_fuzz_cases.py
# Expected values come from ftfy.fix_text and OpenAI's SimpleTokenizer.encode, loaded from the CLIP checkout.
import os
CLIP_SRC = os.environ.get("CLIP_SRC", "/tmp/clipsrc")
SHARED = os.environ.get("SHARED", "../shared")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz-cases.json")
import json, random, importlib.util, ftfy, unicodedata, html.entities
spec = importlib.util.spec_from_file_location('st', os.path.join(CLIP_SRC, 'simple_tokenizer.py'))
st = importlib.util.module_from_spec(spec); spec.loader.exec_module(st)
tok = st.SimpleTokenizer(os.path.join(SHARED, 'vocab/bpe_simple_vocab_16e6.txt.gz'))
real = ftfy.fix_text
rnd = random.Random(2026)
ents = list(html.entities.html5.keys())
def rchar():
    r = rnd.random()
    if r < 0.3: return rnd.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 '\"&;#<>!?.,-_")
    if r < 0.4: return '&' + rnd.choice(ents) if rnd.random() < 0.7 else '&#' + str(rnd.choice([0, 13, 65, 128, 129, 141, 150, 159, 160, 0xD800, 0xFFFE, 0x10FFFF, 0x110000, 9731, 12345678901])) + rnd.choice([';', '', 'x'])
    if r < 0.5: return rnd.choice("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\u180e\u200b\ufeff\x00\x07\x1b[31m")
    if r < 0.6: return rnd.choice("ΣσςΑαİIıiŉǅﬁﬀ‘’“”ʼ＂Ａａ０ｶﾞ\u0301\u0308\u0345\u0307ÀÃÂé€™šŸœ")
    if r < 0.8:
        while True:
            c = chr(rnd.randint(0x80, 0x2FFF))
            if unicodedata.category(c) != "Cn": return c
    while True:
        c = rnd.randint(0x3000, 0x2FFFF)
        if not (0xD800 <= c <= 0xDFFF) and unicodedata.category(chr(c)) != 'Cn': return chr(c)
out = []
for i in range(4000):
    s = ''.join(rchar() for _ in range(rnd.randint(1, 12)))
    row = []
    for mode in (1, 0):
        st.ftfy.fix_text = real if mode else (lambda x: x)
        try:
            ids = tok.encode(s)
        except Exception as e:
            ids = None
        row.append(ids)
    out.append([s] + row)
json.dump(out, open(OUT, 'w'), ensure_ascii=True, separators=(',', ':'))
print(len(out), sum(1 for r in out if r[1] is None), sum(1 for r in out if r[2] is None))
