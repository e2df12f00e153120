"""The web studio's words for images: the gallery, an image work's page, image models, their samples and audits.

Registered in :mod:`.web` as the other pages' tables are (one lookup for the whole web studio).
"""

from __future__ import annotations

WEB_IMAGES: dict[str, tuple[str, str]] = {
    # the navigation and the gallery
    "nav_gallery": ("Galerie", "Gallery"),
    "gallery_title": ("Galerie des images", "Image gallery"),
    "gallery_lede": ("Vos images, en petit. Chacune garde ses droits et l’historique de son consentement ; seules "
                     "celles dont le dernier consentement dit « entraîner » servent à entraîner un modèle d’images.",
                     "Your images, small. Each keeps its rights and its consent history; only those whose latest "
                     "consent says “train” are ever trained on by an image model."),
    "gallery_add": ("Ajouter des images", "Add images"),
    "gallery_empty": ("Aucune image pour l’instant : ajoutez des fichiers PNG, JPEG, WebP ou TIFF depuis la page "
                      "du corpus.",
                      "No image yet: add PNG, JPEG, WebP or TIFF files from the corpus page."),
    "gallery_link": ("Voir les images en galerie", "See the images as a gallery"),
    "images_one": ("{n} image", "{n} image"),
    "images_other": ("{n} images", "{n} images"),
    # an image work's page
    "picture_title": ("L’image", "The picture"),
    "picture_alt": ("« {title} », l’image telle que l’atelier la garde", "“{title}”, the picture as the studio keeps it"),
    "picture_stored": ("Gardée en PNG sRGB 8 bits, orientation appliquée ; c’est elle qui sert à l’entraînement.",
                       "Kept as an 8-bit sRGB PNG, orientation applied: this is what training sees."),
    "picture_size": ("Taille gardée", "Size kept"),
    "picture_original": ("Taille du fichier d’origine", "Original file's size"),
    "picture_phash": ("Empreinte perceptuelle (pHash)", "Perceptual hash (pHash)"),
    "picture_rights": ("Droits (dans le fichier)", "Rights (in the file)"),
    "picture_description": ("Description (dans le fichier)", "Description (in the file)"),
    "picture_full": ("Voir l’image en grand", "See the full picture"),
    "pixels": ("{width} × {height} pixels", "{width} × {height} pixels"),
    "near_title": ("Images proches", "Near duplicates"),
    "near_help": ("Des images de l’atelier dont l’empreinte perceptuelle diffère d’au plus {bits} bits sur 64 et "
                  "dont les pixels se ressemblent de près : peut-être la même image recadrée, retouchée ou réencodée.",
                  "Images in the studio whose perceptual hash differs by at most {bits} bits of 64 and whose pixels "
                  "are close: perhaps the same picture cropped, retouched or re-encoded."),
    "near_none": ("Aucune image proche dans l’atelier.", "No near duplicate in the studio."),
    "near_similarity": ("ressemblance {share}", "similarity {share}"),
    "near_measure_phash": ("empreinte perceptuelle", "perceptual hash"),
    "upload_images_hint": ("Les images (PNG, JPEG, WebP, TIFF) sont gardées en sRGB, orientation appliquée ; une "
                           "image dont le fichier refuse la fouille de données (C2PA ou IPTC/PLUS) est gardée « ne "
                           "pas entraîner », avec la raison.",
                           "Images (PNG, JPEG, WebP, TIFF) are kept in sRGB, orientation applied; an image whose file "
                           "refuses data mining (C2PA or IPTC/PLUS) is kept as “do not train”, with the reason."),
    # training an image model (the train page follows it live)
    "image_train_loss": ("Perte d’entraînement (vitesse)", "Training loss (velocity)"),
    "image_best_val": ("Meilleure perte sur les images mises de côté", "Best loss on held-out images"),
    "images_per_s": ("images/s", "images/s"),
    "model_ready_image": ("Modèle {model} prêt : perte {loss} sur les images mises de côté.",
                          "Model {model} ready: loss {loss} on the held-out images."),
    "go_generate": ("Générer des images", "Generate images"),
    "resolution": ("Résolution", "Resolution"),
    "resolution_px": ("{n} × {n} pixels", "{n} × {n} pixels"),
    "resolution_hint": ("Pour un modèle d’images : la taille des images qu’il apprend et qu’il génère. 16 ou 32 "
                        "pixels s’entraînent en quelques minutes sur un ordinateur ; 64 demande une carte graphique.",
                        "For an image model: the size of the pictures it learns and generates. 16 or 32 pixels "
                        "train in minutes on a computer; 64 wants a graphics card."),
    "bad_resolution": ("Résolution {value} refusée : un modèle d’images apprend à {sizes} pixels.",
                       "Resolution {value} refused: an image model learns at {sizes} pixels."),
    "resolution_auto": ("automatique", "automatic"),
    # an image model's page
    "image_val_loss": ("Perte sur les images mises de côté", "Loss on held-out images"),
    "image_samples_title": ("Images générées", "Generated images"),
    "seed_new": ("nouvelle", "new"),
    "sampler_steps": ("Pas d’échantillonnage", "Sampling steps"),
    "image_generate_note": ("Chaque image est un PNG signé (manifeste C2PA intégré et fichier de provenance) ; un lot "
                            "a sa planche contact. La même graine redonne les mêmes images.",
                            "Each image is a signed PNG (embedded C2PA manifest and provenance file); a batch gets "
                            "its contact sheet. The same seed gives the same images again."),
    "contact_sheet": ("Planche contact du dernier lot", "Contact sheet of the latest batch"),
    "contact_sheet_alt": ("{n} images, graine {seed}", "{n} images, seed {seed}"),
    "image_samples_shown": ("Les {shown} dernières images sur {total}.", "The latest {shown} images of {total}."),
    "image_sample_seed": ("graine {seed}, n° {index}", "seed {seed}, no. {index}"),
    "image_audits_title": ("Audits de ce modèle", "Audits of this model"),
    "image_audit_help": ("L’audit génère des images et cherche, pour chacune, les images d’entraînement les plus "
                         "proches ; le seuil vient des images mises de côté. Il mesure aussi la diversité.",
                         "The audit generates images and finds, for each, the nearest training images; the "
                         "threshold comes from the held-out images. It measures diversity too."),
    "image_audits_none": ("Ce modèle n’a pas encore été audité.", "This model has not been audited yet."),
    "image_audit_flagged": ("{flagged} image(s) signalée(s) comme copie sur {n}", "{flagged} of {n} images flagged as copies"),
    # auditing pictures from the Audit page
    "job_kind_audit-images": ("Audit d’images", "Image audit"),
    "audit_images_title": ("Auditer des images", "Audit images"),
    "audit_images_help": ("Des images d’ailleurs — les sorties d’un générateur, par exemple — comparées à toutes les "
                          "images de l’atelier : les plus proches, celles qui en sont des copies, la diversité.",
                          "Pictures from elsewhere — a generator's outputs, say — compared with every image of the "
                          "studio: the nearest ones, those that copy one, the diversity."),
    "audit_images_pick": ("Images à auditer", "Images to audit"),
    "audit_images_none": ("Choisissez au moins une image à auditer.", "Choose at least one image to audit."),
    "audit_images_refused": ("{name} : seules des images sont auditées ici ({formats}).",
                             "{name}: only images are audited here ({formats})."),
    "audit_subject_images": ("images", "images"),
    "image_audit_reuse": ("L’audit porte sur les {n} images générées ci-dessus.",
                          "The audit looks at the {n} generated images above."),
}
