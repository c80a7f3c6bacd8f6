import { useMemo } from 'react';
import type { DatasetSummary, ModelSummary } from '../../../../electron/api/contract';
import { JobProgress } from '../../components/JobProgress';
import { Message } from '../../components/Message';
import { encodingKey, useLatentStore } from '../../state/latentStore';
import { BUNDLED_DATASET, datasetFits, useDatasetStore } from '../../state/datasetStore';
import { imageSize } from '../../lib/modelKinds';
import { Reconstructions } from '../models/Reconstructions';
import { SampleGrid } from '../models/SampleGrid';
import { useMakePca } from '../models/useMakePca';
import { LatentScene } from './LatentScene';
import { EncodingStatus } from './EncodingStatus';
import { reconstructionIndices, ROLE_NAMES, ROLES, roleOf, type SpaceRole } from './spaceRoles';
import { formatCount } from '../../lib/formatCount';

/** What each prior's random codes mean for that kind of space: the point of the comparison. */
const SAMPLE_NOTES: Record<SpaceRole, string> = {
  pca: 'Codes are whitened components, so N(0, I) is exactly the Gaussian PCA fits to the pixels: every random code decodes to a plausible blend, but a linear decoder can only blend, so samples are soft averages.',
  autoencoder: 'Nothing ties the codes to N(0, I): the encoded images sit in clumps with empty space between, and random codes that land there decode to smudges or mixtures.',
  vae: 'The KL term pulls the codes towards N(0, I) and fills the gaps, so random codes land near encoded images and decode to plausible ones.',
};

/**
 * PCA, an autoencoder and a VAE side by side on the same dataset: their latent spaces, reconstructions of the
 * same images, and what random codes from each prior decode to, so the difference between a linear space, an
 * irregular one and a regularised one can be seen. A missing PCA model can be made here in a few seconds.
 */
export function CompareSpaces({ models, dataset, pcaComponents }: { models: ModelSummary[]; dataset: DatasetSummary; pcaComponents: number }) {
  const axes = useLatentStore((s) => s.axes);
  const hidden = useLatentStore((s) => s.hiddenClasses);
  const encodings = useLatentStore((s) => s.encodings);
  const byRole = new Map(models.map((m) => [roleOf(m)!, m]));
  // The same images in every column, from whichever encoding arrived first; kept by content, so another
  // column's encoding arriving does not decode the reconstructions again.
  const labels = models.map((m) => encodings[encodingKey(dataset.id, m.id)]?.labels).find(Boolean) ?? [];
  const picked = reconstructionIndices(labels).join(',');
  const indices = useMemo(() => (picked ? picked.split(',').map(Number) : []), [picked]);
  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <p className="border-b border-line bg-panel px-4 py-2 text-xs text-muted" data-testid="compare-caption">
        The same {formatCount(dataset.count)} images in each space, coloured by label. Look at the shape of each cloud: PCA's is a linear projection of the pixels, one continuous cloud stretched along a few directions; the autoencoder's codes form clumps and strands with empty space between them; the VAE's fill a round, continuous region around the origin, as its N(0, I) prior asks. Then compare the reconstructions of the same images, and what random codes decode to in each.
      </p>
      <div className="grid min-h-0 flex-1 gap-px bg-line" style={{ gridTemplateColumns: `repeat(${ROLES.length}, minmax(0, 1fr))` }}>
        {ROLES.map((role) => {
          const m = byRole.get(role);
          if (!m) return role === 'pca' ? <MakePcaColumn key={role} components={pcaComponents} dataset={dataset} /> : <MissingColumn key={role} role={role} />;
          const encoding = encodings[encodingKey(dataset.id, m.id)];
          return (
            <section key={m.id} className="flex min-h-0 flex-col bg-canvas" aria-label={m.name}>
              <header className="flex flex-wrap items-center justify-between gap-2 px-3 py-2 text-sm">
                <span>
                  {m.name} <span className="text-xs text-muted">{m.latent?.shape.join('×')}-d</span>
                </span>
                <EncodingStatus model={m.id} dataset={dataset.id} />
              </header>
              <div className="min-h-40 flex-1">{encoding && <LatentScene encoding={encoding} axes={axes} hiddenClasses={hidden} markers={{ selection: [], neighbors: [], hovered: null, imported: [] }} label={`${m.name} latent space`} />}</div>
              <div className="border-t border-line p-3">
                {encoding && <Reconstructions model={m} dataset={dataset.id} encoding={encoding} indices={indices} />}
                <p className="mb-2 mt-3 text-xs text-muted">Decoded from random N(0, I) codes. {SAMPLE_NOTES[role]}</p>
                <SampleGrid model={m} />
              </div>
            </section>
          );
        })}
      </div>
      <p className="sr-only">{dataset.labels.join(', ')}</p>
    </div>
  );
}

function MakePcaColumn({ components, dataset }: { components: number; dataset: DatasetSummary }) {
  const { make, job, message, ready } = useMakePca();
  // PCA models are made from the Fashion-MNIST sample (library.makePca), at its size: where this dataset's images are
  // another size, one would not fit them, and the button only added a model this column could not show.
  const sample = useDatasetStore((s) => s.datasets.find((d) => d.id === BUNDLED_DATASET));
  const fits = !!sample && datasetFits(dataset, sample);
  return (
    <section className="flex min-h-0 flex-col items-start gap-3 bg-canvas p-4 text-sm" aria-label="PCA">
      <h3 className="font-medium">PCA</h3>
      {fits ? (
        <>
          <p className="text-muted">The linear baseline: the dataset's principal components as an encoder and decoder. It takes a few seconds to compute and is added to your library.</p>
          <button type="button" onClick={() => void make(components, 'explore')} disabled={!!job || !ready} className="rounded bg-accent px-3 py-1 font-medium text-canvas disabled:opacity-40">
            Make PCA with {components} components
          </button>
          {job && <JobProgress label="Computing PCA" done={job.done} total={job.total} onCancel={job.stop} />}
          <Message text={message?.error ? message.text : undefined} className="text-sm" />
        </>
      ) : (
        <p className="text-muted" data-testid="pca-not-here">
          The linear baseline is made from the Fashion-MNIST sample only, so there is none for {dataset.name}&apos;s {imageSize(dataset)} images: compare the three spaces on Fashion-MNIST with its models.
        </p>
      )}
    </section>
  );
}

function MissingColumn({ role }: { role: SpaceRole }) {
  return (
    <section className="flex min-h-0 flex-col gap-2 bg-canvas p-4 text-sm text-muted" aria-label={ROLE_NAMES[role]}>
      <h3 className="font-medium text-ink">{ROLE_NAMES[role]}</h3>
      <p>No {role === 'vae' ? 'VAE' : 'autoencoder'} in the library takes this dataset's images: add one in Models to see its space here.</p>
    </section>
  );
}
