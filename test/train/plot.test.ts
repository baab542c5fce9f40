/** SVG charts: valid markup, one polyline per series with data, metrics records mapped to charts. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { relativeCurveDiff } from '../../src/train/experiments.js';
import { lineChartSvg, metricsCharts } from '../../src/train/plot.js';

describe('plot', () => {
  it('draws one polyline per series and escapes text', () => {
    const svg = lineChartSvg({
      title: 'a < b',
      xLabel: 'step',
      yLabel: 'loss',
      series: [
        {
          name: 'x',
          points: [
            [0, 1],
            [10, 0.5],
          ],
        },
        {
          name: 'y',
          points: [
            [0, 2],
            [5, NaN],
            [10, 1],
          ],
        },
      ],
    });
    assert.match(svg, /^<svg /);
    assert.equal(svg.match(/<polyline/g)?.length, 2);
    assert.match(svg, /a &lt; b/);
    assert.doesNotMatch(svg, /NaN/);
  });

  it('maps metrics to loss, lr, maxvio and mtp charts, leaving out empty ones', () => {
    const recs = [
      { type: 'train', step: 10, loss: 3, lm_loss: 2.5, lr: 1e-3, maxvio: [0.5, 0.7], maxvio_mean: 0.6, mtp_loss: 0.5 },
      {
        type: 'train',
        step: 20,
        loss: 2,
        lm_loss: 1.7,
        lr: 1e-3,
        maxvio: [0.3, 0.4],
        maxvio_mean: 0.35,
        mtp_loss: 0.3,
      },
      { type: 'eval', step: 20, val_loss: 2.1 },
    ];
    const charts = metricsCharts(recs, 'r');
    assert.deepEqual([...charts.keys()], ['loss', 'lr', 'maxvio', 'mtp']);
    assert.equal(charts.get('maxvio')!.match(/<polyline/g)?.length, 3, 'mean + two layers');
    assert.deepEqual([...metricsCharts([{ type: 'train', step: 1, loss: 1, lr: 1 }]).keys()], ['loss', 'lr']);
  });

  it('relative curve difference of two runs', () => {
    const a = [
      { type: 'train', step: 1, loss: 2 },
      { type: 'train', step: 2, loss: 1 },
    ];
    const b = [
      { type: 'train', step: 1, loss: 2.02 },
      { type: 'train', step: 2, loss: 1 },
    ];
    const d = relativeCurveDiff(a, b);
    assert.ok(Math.abs(d.max_rel_diff - 0.01) < 1e-12 && Math.abs(d.mean_rel_diff - 0.005) < 1e-12 && d.points === 2);
  });
});
