import sys, collections, re
f=sys.argv[1]; n=int(sys.argv[2]) if len(sys.argv)>2 else 30
thr=collections.Counter(); selfc=collections.Counter(); tot=0
incl=collections.Counter()
for line in open(f):
    stack,c=line.rsplit(' ',1); c=int(c); tot+=c
    fr=stack.split(';')
    t=re.sub(r'[-_ ]?\d+\]?$','',fr[0]); thr[t]+=c
    selfc[fr[-1]]+=c
    for x in set(fr[1:]): incl[x]+=c
print("total",tot)
for k,v in thr.most_common(15): print(f"{100*v/tot:5.1f}% thread {k}")
print('--- self')
for k,v in selfc.most_common(n): print(f"{100*v/tot:5.1f}% {k[:150]}")
if len(sys.argv)>3:
  print('--- incl')
  for k,v in incl.most_common(int(sys.argv[3])): print(f"{100*v/tot:5.1f}% {k[:150]}")
