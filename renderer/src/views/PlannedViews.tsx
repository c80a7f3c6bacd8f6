import { EmptyState } from '../components/EmptyState';
import { useAppStore } from '../state/appStore';

/** Views whose tools are still being built: each says what it will do and what works today. */
function Planned({ title, what }: { title: string; what: string }) {
  const setView = useAppStore((s) => s.setView);
  return (
    <EmptyState title={title}>
      <p className="mb-4">{what}</p>
      <p>
        This view is still being built. Meanwhile, the{' '}
        <button type="button" className="text-accent underline" onClick={() => setView('models')}>
          Models
        </button>{' '}
        view lists the bundled models and decodes random samples from them.
      </p>
    </EmptyState>
  );
}

export const InvertView = () => (
  <Planned title="Invert your own image" what="Drop an image and find the GAN latent code that reproduces it, watching the reconstruction converge, then edit it." />
);
