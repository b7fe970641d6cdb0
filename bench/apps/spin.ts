// The CPU-bound route's work: a loop the JIT cannot drop (its result is answered).
export function spin(rounds = 300_000): number {
  let x = 1;
  for (let i = 0; i < rounds; i++) x = (Math.imul(x, 31) + i) | 0;
  return x;
}
