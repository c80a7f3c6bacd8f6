import * as THREE from 'three';

const cloudSphere = new THREE.Sphere();
const IDENTITY = new THREE.Matrix4();

/**
 * The point nearest along the ray among those within the raycaster's threshold: the one hover and click take (three
 * sorts its hits by that distance and the first wins). three's own Points.raycast makes an object for every point
 * within the threshold (hundreds in a dense part of a 100,000-point cloud) and sorts them all, on every pointer move.
 * The cloud is drawn untransformed; any other object falls back to three's.
 */
export function nearestPointRaycast(this: THREE.Points, raycaster: THREE.Raycaster, intersects: THREE.Intersection[]): void {
  if (!this.matrixWorld.equals(IDENTITY)) return THREE.Points.prototype.raycast.call(this, raycaster, intersects);
  const geometry = this.geometry;
  const threshold = raycaster.params.Points.threshold;
  if (geometry.boundingSphere === null) geometry.computeBoundingSphere();
  cloudSphere.copy(geometry.boundingSphere!);
  cloudSphere.radius += threshold;
  if (!raycaster.ray.intersectsSphere(cloudSphere)) return;
  const { origin: o, direction: d } = raycaster.ray;
  const positions = geometry.attributes['position']!.array as Float32Array;
  const start = Math.max(0, geometry.drawRange.start);
  const end = Math.min(positions.length / 3, geometry.drawRange.start + geometry.drawRange.count);
  const limitSq = threshold * threshold;
  let best = -1;
  let bestAlong = Infinity;
  let bestSq = 0;
  for (let i = start; i < end; i++) {
    const vx = positions[i * 3]! - o.x;
    const vy = positions[i * 3 + 1]! - o.y;
    const vz = positions[i * 3 + 2]! - o.z;
    // Along the ray to the closest approach; a point behind the origin is measured from the origin, as three does.
    const along = Math.max(0, vx * d.x + vy * d.y + vz * d.z);
    const sq = vx * vx + vy * vy + vz * vz - along * along;
    if (sq < limitSq && along < bestAlong && along >= raycaster.near && along <= raycaster.far) {
      best = i;
      bestAlong = along;
      bestSq = sq;
    }
  }
  if (best < 0) return;
  intersects.push({ distance: bestAlong, distanceToRay: Math.sqrt(Math.max(0, bestSq)), point: raycaster.ray.at(bestAlong, new THREE.Vector3()), index: best, face: null, faceIndex: undefined, object: this });
}
