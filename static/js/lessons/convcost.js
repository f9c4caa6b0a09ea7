// Real multiplications of one conv2d layer (stride 1, padding "same", so the output is H×W for every k), by the
// direct loop or im2col and by the FFT route. The model the page states:
//   direct or im2col: H·W·k²·C_in·C_out (each output value is a k×k×C_in dot product; im2col only reorders it);
//   FFT: the grid is N×N with N = nextPow2(H + k − 1) (room for the full linear convolution); a radix-2 FFT of
//   N points is (N/2)·log2 N butterflies, one complex multiplication each, and a complex multiplication is 4
//   real ones, so a 2-D FFT (N row FFTs and N column FFTs) costs 4·N²·log2 N. The layer takes C_in forward
//   FFTs of the input, C_in·C_out of the kernels, C_in·C_out·N² pointwise complex products (4 real each; the
//   products of one output channel are summed in the frequency domain) and C_out inverse FFTs.
// Not counted: additions, the halving a real input allows, kernels transformed once ahead of time.
import { nextPow2 } from "./fft.js";

export function directMults({ side, k, cin, cout }) {
  return side * side * k * k * cin * cout;
}

export function fftSize(side, k) {
  return nextPow2(side + k - 1);
}

export function fft2Mults(n) {
  return 4 * n * n * Math.log2(n);
}

export function fftMults({ side, k, cin, cout }) {
  const n = fftSize(side, k);
  return (cin + cin * cout + cout) * fft2Mults(n) + 4 * cin * cout * n * n;
}

// The smallest k in 1…kMax for which the FFT route needs fewer multiplications, or null.
export function crossoverK(setup, kMax) {
  for (let k = 1; k <= kMax; k++) if (fftMults({ ...setup, k }) < directMults({ ...setup, k })) return k;
  return null;
}
