# Regenerates ftfy-cases.json (a flink-clip test fixture) with the real implementations:
#   pip install ftfy==6.3.1 regex ; CLIP_SRC=<checkout of openai/CLIP>/clip SHARED=<flink-clip>/../shared python3 gen_ftfy_cases.py
# Expected values come from ftfy.fix_text and OpenAI's SimpleTokenizer.encode, loaded from the CLIP checkout.
import os
CLIP_SRC = os.environ.get("CLIP_SRC", "/tmp/clipsrc")
SHARED = os.environ.get("SHARED", "../shared")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ftfy-cases.json")
import json, random, importlib.util, ftfy, ftfy.bad_codecs
spec = importlib.util.spec_from_file_location('st', os.path.join(CLIP_SRC, 'simple_tokenizer.py'))
st = importlib.util.module_from_spec(spec); spec.loader.exec_module(st)
tok = st.SimpleTokenizer(os.path.join(SHARED, 'vocab/bpe_simple_vocab_16e6.txt.gz'))
def row(x):
    ids=[49406]+tok.encode(x)+[49407]
    if len(ids)>77: ids=ids[:77]; ids[-1]=49407
    return ids
rnd = random.Random(1234)
cases = []
cases += json.load(open(os.path.join(SHARED, 'reference/tiny-vit/texts.json')))['tokenizer_texts']
phrases = ["café crème brûlée", "naïve façade", "Müller & Söhne GmbH", "¡Hola señor! ¿Qué tal?", "Ærøskøbing",
  "“smart quotes” and ‘single’ — dashes… ellipsis", "price: 5 €, £3, ¥100", "Łódź Gdańsk Kraków", "Škoda Žilina č ř",
  "İstanbul’da ağaç", "Ελληνικά κείμενο", "Привет, мир! Ёлка", "日本語のテキスト", "中文字符", "한국어 텍스트",
  "عربي نص", "עברית", "emoji 😀👍🏽🇫🇷", "✔ done ✘ failed", "¯\\_(ツ)_/¯", "ﬁnancial ﬂow", "½ ¼ ¾ ² ³ µ",
  "Ç'est déjà là", "à la carte", "voilà le travail", "São Paulo", "Zürich Genève", "Dvořák", "Þórr Ísland",
  "100°C ± 2", "©2024 ™ ®", "a • b · c", "« guillemets »", "naïve — “quoted”", "Ünïcödé", "résumé", "Ångström"]
encs = ['latin-1', 'sloppy-windows-1252', 'sloppy-windows-1251', 'sloppy-windows-1250', 'sloppy-windows-1253',
        'sloppy-windows-1254', 'sloppy-windows-1257', 'iso-8859-2', 'macroman', 'cp437', 'windows-1252']
for p in phrases:
    cases.append(p)
    b = p.encode('utf-8')
    for e in encs:
        try: m = b.decode(e, errors='replace')
        except Exception: continue
        cases.append(m)
        cases.append(m.replace('\xa0', ' '))
        cases.append("The text says: " + m + " (end)")
        try: cases.append(m.encode('utf-8').decode(e, errors='replace'))  # double mojibake
        except Exception: pass
    cases.append(b.decode('latin-1').replace('\x80', '?'))
    cases.append(p + " " + b.decode('sloppy-windows-1252'))
pool = ("ÂÃÎÐØÙàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿ€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ ¡¢£¤¥¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿"
        "×÷ΒΓΞΟβάВГРСвЂўĀāĂăąĆćČčĎďĐđĘęĚěĞğİıŁłŃńŇňŐőŒœŔŕŘřŚśŞşŠšŢţŤťŮůŰűŹźŻżŽžƒˇ˘˛˝√∂≠≈≤≥∞│┌┐└┘├┤┬┴┼═║╔╗╚╝▀▄█▌▐░▒▓"
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,!?'\"-&;#<>\x80\x81\x85\x8d\x9d\x9f\ufffd\x1a"
        "\u2018\u2019\u201c\u201d\u02bc\uff21\uff41\uff01\u3000\uff76\ufb01\u0133\u0149\u01c4\u0301\u0308\r\n\t\x00\x07\x1b\ufeff")
for _ in range(1500):
    n = rnd.randint(1, 10)
    cases.append(''.join(rnd.choice(pool) for _ in range(n)))
for _ in range(300):  # random UTF-8 text misread as a random code page
    s = ''.join(rnd.choice(pool[:300]) for _ in range(rnd.randint(1, 6)))
    e = rnd.choice(encs)
    cases.append(s.encode('utf-8').decode(e, errors='replace'))
cases += ["&EACUTE;T&Eacute; &ntilde; &NTILDE; &nTILDE; BUNDESSTRA&SZLIG;E &#x2019; &#8217; &#128; &#0; &amp;amp;",
          "a < b &amp; c\nline two &amp; d", "line one &amp;\n<b> &amp; </b>\n&amp; after",
          "\x1b[31mred\x1b[0m text", "\x1b[1;32mbold green", "crlf\r\nline\rcr\u2028ls\u2029ps\x85nel",
          "\ud83d\ude00 paired surrogates", "lone \ud800 high", "lone \udc00 low", "\udc00\ud800 reversed",
          "\u206a\ufff9annotated\ufffb\ufffc", "soft\u00adhyphen", "zero\u200bwidth", "ＬＯＵＤ　ＮＯＩＳＥＳ ｶﾀｶﾅ",
          "sÃ³", "Ã¡", "voilÃ le travail", "Ã  la", "â€œquotedâ€\x9d", "â€œ like this â€�", "Ã¢â‚¬Å“doubleÃ¢â‚¬Â",
          "ÃƒÂ©", "Ð¿Ñ€Ð¸Ð²ÐµÑ‚", "Ø§Ù„Ø¹Ø±Ø¨ÙŠØ©", "à¤¹à¤¿à¤¨à¥à¤¦à¥€", "ðŸ˜€", "ðŸ‘\x8d", "eÌ\x81", "\xed\xa0\xbd\xed\xb8\x80",
          "caf\xc3\xa9 and cafe\u0301", "P&EACUTE;REZ", "&Jscr;ohn &HilbertSpace;ancock", "&checkmark;",
          "Broken text&hellip; it&#x2019;s ﬂubberiﬁc!", "&macr;\\_(ã\x83\x84)_/&macr;", "âœ” No problems"]
seen = set(); out = []
for c in cases:
    if c in seen: continue
    seen.add(c)
    out.append([c, ftfy.fix_text(c), row(c)])
json.dump(out, open(OUT, 'w'), ensure_ascii=True, separators=(',', ':'))
print(len(out), sum(1 for c, f, _ in out if c != f), 'changed by ftfy')
