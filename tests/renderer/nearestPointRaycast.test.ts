import * as THREE from 'three';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../electron/common/random';
import { nearestPointRaycast } from '../../renderer/src/views/explore/nearestPointRaycast';

/** A cloud like the explorer's: clusters of points around a few centres. */
function cloud(count: number, seed: number): THREE.Points {
  const random = mulberry32(seed);
  const positions = new Float32Array(count * 3);
  for (let i = 0; i < count; i++) {
    const cluster = i % 5;
    for (let a = 0; a < 3; a++) positions[i * 3 + a] = Math.cos(cluster * 1.7 + a) * 0.5 + (random() - 0.5) * 0.6;
  }
  const geometry = new THREE.BufferGeometry();
  geometry.setAttribute('position', new THREE.BufferAttribute(positions, 3));
  return new THREE.Points(geometry);
}

describe('the explorer’s point pick', () => {
  it('finds the hit three’s own Points.raycast puts first, from many directions and with part of the cloud drawn', () => {
    const points = cloud(20_000, 7);
    const camera = new THREE.PerspectiveCamera(50, 1.2, 0.01, 100);
    const raycaster = new THREE.Raycaster();
    raycaster.params.Points = { threshold: 0.025 };
    const random = mulberry32(11);
    let hits = 0;
    for (let k = 0; k < 300; k++) {
      camera.position.set(Math.cos(k) * 4, Math.sin(k * 0.7) * 2, Math.sin(k) * 4);
      camera.lookAt(0, 0, 0);
      camera.updateMatrixWorld();
      // Every tenth pick with the cloud thinned as it is while the camera moves.
      points.geometry.setDrawRange(0, k % 10 === 0 ? 5_000 : Infinity);
      raycaster.setFromCamera(new THREE.Vector2(random() * 0.5 - 0.25, random() * 0.5 - 0.25), camera);
      const theirs: THREE.Intersection[] = [];
      THREE.Points.prototype.raycast.call(points, raycaster, theirs);
      theirs.sort((a, b) => a.distance - b.distance);
      const ours: THREE.Intersection[] = [];
      nearestPointRaycast.call(points, raycaster, ours);
      expect(ours.length).toBe(Math.min(1, theirs.length));
      if (theirs.length === 0) continue;
      hits++;
      expect(ours[0]!.index).toBe(theirs[0]!.index);
      expect(ours[0]!.distance).toBeCloseTo(theirs[0]!.distance, 5);
      expect(ours[0]!.distanceToRay).toBeCloseTo(theirs[0]!.distanceToRay!, 5);
      expect(ours[0]!.point.distanceTo(theirs[0]!.point)).toBeLessThan(1e-5);
    }
    // Most picks land in the cloud, so the comparison is not only of misses.
    expect(hits).toBeGreaterThan(150);
  });

  it('leaves a moved cloud to three’s own raycast', () => {
    const points = cloud(2_000, 3);
    points.position.set(0.3, 0, 0);
    points.updateMatrixWorld();
    const raycaster = new THREE.Raycaster(new THREE.Vector3(0.3, 0, 5), new THREE.Vector3(0, 0, -1));
    raycaster.params.Points = { threshold: 0.05 };
    const theirs: THREE.Intersection[] = [];
    THREE.Points.prototype.raycast.call(points, raycaster, theirs);
    const ours: THREE.Intersection[] = [];
    nearestPointRaycast.call(points, raycaster, ours);
    expect(ours.map((h) => h.index)).toEqual(theirs.map((h) => h.index));
  });
});
