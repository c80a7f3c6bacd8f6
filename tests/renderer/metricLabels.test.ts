import { describe, expect, it } from 'vitest';
import { metricLine, metricLines } from '../../renderer/src/lib/metricLabels';

describe("a model card's metrics", () => {
  it('reads the bundled manifests’ keys as words with units', () => {
    expect(metricLine('testPsnrDb', 21.731)).toEqual({ label: 'Test PSNR', value: '21.73 dB' });
    expect(metricLine('priorSamplesConfidentShare', 0.036)).toEqual({ label: 'Prior samples confidently classified', value: '3.6%' });
    expect(metricLine('testAccuracy', 0.9347)).toEqual({ label: 'Test accuracy', value: '93.5%' });
    expect(metricLine('ddim50ClipX0Fd', 24.134)).toEqual({ label: 'DDIM-50 clip x₀ FD', value: '24.13' });
    expect(metricLine('train1000Fd', 1.34)).toEqual({ label: 'Train 1000 FD', value: '1.34' });
    expect(metricLine('inversionGradMaxRelError', 2.855e-7)).toEqual({ label: 'Inversion gradient largest relative error', value: '2.9e-7' });
    expect(metricLine('onnxBytes', 13_403_753)).toEqual({ label: 'ONNX files', value: '13.40 MB' });
    expect(metricLine('evaluatedAtStep', 15_000)).toEqual({ label: 'Evaluated at step', value: '15,000' });
    expect(metricLine('reconstructionsPairAgreement', 0.6499)).toEqual({ label: 'Reconstructions pair agreement', value: '65.0%' });
  });

  it('keeps a user’s unknown key readable and drops the parameter count the card shows already', () => {
    expect(metricLine('fid50k', 3.21)).toEqual({ label: 'FID 50k', value: '3.210' });
    expect(metricLine('lpips', 0.25)).toEqual({ label: 'Lpips', value: '0.250' });
    const lines = metricLines({ params: 10, testPsnrDb: 30, note: 'text', bad: Number.NaN }, true);
    expect(lines.map((l) => l.key)).toEqual(['testPsnrDb']);
    expect(metricLines({ params: 10 }, false)[0]).toEqual({ key: 'params', label: 'Params', value: '10' });
  });
});
