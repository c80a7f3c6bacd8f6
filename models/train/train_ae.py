"""Plain autoencoder (fmnist-ae): same architecture as the VAE, no KL.

Run: OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/train_ae.py [--epochs 8]
"""
from train_vae import main

if __name__ == "__main__":
    main(ae=True)
