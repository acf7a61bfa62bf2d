/* SPDX-License-Identifier: MIT */
/*
 * dicom_uids: the names of common DICOM UIDs, as registered in DICOM PS3.6
 * annex A (table A-1): the application context, transfer syntaxes,
 * verification, storage, query/retrieve, worklist, procedure step, storage
 * commitment and print SOP classes. A UID not listed is reported without
 * a name.
 */
#include "proto/dicom_uids.h"

#include <string.h>

struct dicom_uid_entry {
    const char *uid;
    const char *name;
};

/* PS3.6 table A-1 UIDs; the prefix 1.2.840.10008 is DICOM's root. */
static const struct dicom_uid_entry dicom_uids[] = {
    /* application context and transfer syntaxes */
    {"1.2.840.10008.3.1.1.1", "DICOM Application Context Name"},
    {"1.2.840.10008.1.2", "Implicit VR Little Endian"},
    {"1.2.840.10008.1.2.1", "Explicit VR Little Endian"},
    {"1.2.840.10008.1.2.1.98", "Encapsulated Uncompressed Explicit VR Little Endian"},
    {"1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian"},
    {"1.2.840.10008.1.2.2", "Explicit VR Big Endian"},
    {"1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)"},
    {"1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 & 4)"},
    {"1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)"},
    {"1.2.840.10008.1.2.4.70", "JPEG Lossless, Non-Hierarchical, First-Order Prediction"},
    {"1.2.840.10008.1.2.4.80", "JPEG-LS Lossless Image Compression"},
    {"1.2.840.10008.1.2.4.81", "JPEG-LS Lossy (Near-Lossless) Image Compression"},
    {"1.2.840.10008.1.2.4.90", "JPEG 2000 Image Compression (Lossless Only)"},
    {"1.2.840.10008.1.2.4.91", "JPEG 2000 Image Compression"},
    {"1.2.840.10008.1.2.4.92",
     "JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)"},
    {"1.2.840.10008.1.2.4.93", "JPEG 2000 Part 2 Multi-component Image Compression"},
    {"1.2.840.10008.1.2.4.94", "JPIP Referenced"},
    {"1.2.840.10008.1.2.4.95", "JPIP Referenced Deflate"},
    {"1.2.840.10008.1.2.4.100", "MPEG2 Main Profile / Main Level"},
    {"1.2.840.10008.1.2.4.101", "MPEG2 Main Profile / High Level"},
    {"1.2.840.10008.1.2.4.102", "MPEG-4 AVC/H.264 High Profile / Level 4.1"},
    {"1.2.840.10008.1.2.4.103", "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1"},
    {"1.2.840.10008.1.2.4.107", "HEVC/H.265 Main Profile / Level 5.1"},
    {"1.2.840.10008.1.2.4.108", "HEVC/H.265 Main 10 Profile / Level 5.1"},
    {"1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 Image Compression (Lossless Only)"},
    {"1.2.840.10008.1.2.4.202", "High-Throughput JPEG 2000 with RPCL Options (Lossless Only)"},
    {"1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000 Image Compression"},
    {"1.2.840.10008.1.2.5", "RLE Lossless"},
    /* verification, storage commitment, procedure steps, notifications */
    {"1.2.840.10008.1.1", "Verification SOP Class"},
    {"1.2.840.10008.1.20.1", "Storage Commitment Push Model SOP Class"},
    {"1.2.840.10008.1.20.2", "Storage Commitment Pull Model SOP Class"},
    {"1.2.840.10008.1.40", "Procedural Event Logging SOP Class"},
    {"1.2.840.10008.1.3.10", "Media Storage Directory Storage"},
    {"1.2.840.10008.3.1.2.3.3", "Modality Performed Procedure Step SOP Class"},
    {"1.2.840.10008.3.1.2.3.4", "Modality Performed Procedure Step Retrieve SOP Class"},
    {"1.2.840.10008.3.1.2.3.5", "Modality Performed Procedure Step Notification SOP Class"},
    {"1.2.840.10008.5.1.4.33", "Instance Availability Notification SOP Class"},
    {"1.2.840.10008.5.1.4.34.6.1", "Unified Procedure Step - Push SOP Class"},
    {"1.2.840.10008.5.1.4.34.6.2", "Unified Procedure Step - Watch SOP Class"},
    {"1.2.840.10008.5.1.4.34.6.3", "Unified Procedure Step - Pull SOP Class"},
    {"1.2.840.10008.5.1.4.34.6.4", "Unified Procedure Step - Event SOP Class"},
    /* print management */
    {"1.2.840.10008.5.1.1.1", "Basic Film Session SOP Class"},
    {"1.2.840.10008.5.1.1.2", "Basic Film Box SOP Class"},
    {"1.2.840.10008.5.1.1.4", "Basic Grayscale Image Box SOP Class"},
    {"1.2.840.10008.5.1.1.4.1", "Basic Color Image Box SOP Class"},
    {"1.2.840.10008.5.1.1.9", "Basic Grayscale Print Management Meta SOP Class"},
    {"1.2.840.10008.5.1.1.14", "Print Job SOP Class"},
    {"1.2.840.10008.5.1.1.16", "Printer SOP Class"},
    {"1.2.840.10008.5.1.1.18", "Basic Color Print Management Meta SOP Class"},
    /* storage: radiography and CT */
    {"1.2.840.10008.5.1.4.1.1.1", "Computed Radiography Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.1.1", "Digital X-Ray Image Storage - For Presentation"},
    {"1.2.840.10008.5.1.4.1.1.1.1.1", "Digital X-Ray Image Storage - For Processing"},
    {"1.2.840.10008.5.1.4.1.1.1.2", "Digital Mammography X-Ray Image Storage - For Presentation"},
    {"1.2.840.10008.5.1.4.1.1.1.2.1", "Digital Mammography X-Ray Image Storage - For Processing"},
    {"1.2.840.10008.5.1.4.1.1.1.3", "Digital Intra-Oral X-Ray Image Storage - For Presentation"},
    {"1.2.840.10008.5.1.4.1.1.1.3.1", "Digital Intra-Oral X-Ray Image Storage - For Processing"},
    {"1.2.840.10008.5.1.4.1.1.2", "CT Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.2.1", "Enhanced CT Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.2.2", "Legacy Converted Enhanced CT Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.12.1", "X-Ray Angiographic Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.12.1.1", "Enhanced XA Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.12.2", "X-Ray Radiofluoroscopic Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.12.2.1", "Enhanced XRF Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.13.1.1", "X-Ray 3D Angiographic Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.13.1.2", "X-Ray 3D Craniofacial Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.13.1.3", "Breast Tomosynthesis Image Storage"},
    /* storage: MR, ultrasound, nuclear medicine, PET */
    {"1.2.840.10008.5.1.4.1.1.4", "MR Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.4.1", "Enhanced MR Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.4.2", "MR Spectroscopy Storage"},
    {"1.2.840.10008.5.1.4.1.1.4.3", "Enhanced MR Color Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.4.4", "Legacy Converted Enhanced MR Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.3.1", "Ultrasound Multi-frame Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.6.1", "Ultrasound Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.6.2", "Enhanced US Volume Storage"},
    {"1.2.840.10008.5.1.4.1.1.20", "Nuclear Medicine Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.128", "Positron Emission Tomography Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.128.1", "Legacy Converted Enhanced PET Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.130", "Enhanced PET Image Storage"},
    /* storage: secondary capture, visible light, waveforms */
    {"1.2.840.10008.5.1.4.1.1.7", "Secondary Capture Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.7.1", "Multi-frame Single Bit Secondary Capture Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.7.2", "Multi-frame Grayscale Byte Secondary Capture Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.7.3", "Multi-frame Grayscale Word Secondary Capture Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.7.4", "Multi-frame True Color Secondary Capture Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.77.1.1", "VL Endoscopic Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.77.1.2", "VL Microscopic Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.77.1.4", "VL Photographic Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.77.1.5.1", "Ophthalmic Photography 8 Bit Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.77.1.6", "VL Whole Slide Microscopy Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.9.1.1", "12-lead ECG Waveform Storage"},
    {"1.2.840.10008.5.1.4.1.1.9.1.2", "General ECG Waveform Storage"},
    {"1.2.840.10008.5.1.4.1.1.9.1.3", "Ambulatory ECG Waveform Storage"},
    {"1.2.840.10008.5.1.4.1.1.9.2.1", "Hemodynamic Waveform Storage"},
    {"1.2.840.10008.5.1.4.1.1.9.3.1", "Cardiac Electrophysiology Waveform Storage"},
    {"1.2.840.10008.5.1.4.1.1.9.4.1", "Basic Voice Audio Waveform Storage"},
    /* storage: presentation states, structured reports, documents */
    {"1.2.840.10008.5.1.4.1.1.11.1", "Grayscale Softcopy Presentation State Storage"},
    {"1.2.840.10008.5.1.4.1.1.11.2", "Color Softcopy Presentation State Storage"},
    {"1.2.840.10008.5.1.4.1.1.88.11", "Basic Text SR Storage"},
    {"1.2.840.10008.5.1.4.1.1.88.22", "Enhanced SR Storage"},
    {"1.2.840.10008.5.1.4.1.1.88.33", "Comprehensive SR Storage"},
    {"1.2.840.10008.5.1.4.1.1.88.34", "Comprehensive 3D SR Storage"},
    {"1.2.840.10008.5.1.4.1.1.88.40", "Procedure Log Storage"},
    {"1.2.840.10008.5.1.4.1.1.88.50", "Mammography CAD SR Storage"},
    {"1.2.840.10008.5.1.4.1.1.88.59", "Key Object Selection Document Storage"},
    {"1.2.840.10008.5.1.4.1.1.88.67", "X-Ray Radiation Dose SR Storage"},
    {"1.2.840.10008.5.1.4.1.1.104.1", "Encapsulated PDF Storage"},
    {"1.2.840.10008.5.1.4.1.1.104.2", "Encapsulated CDA Storage"},
    {"1.2.840.10008.5.1.4.1.1.104.3", "Encapsulated STL Storage"},
    {"1.2.840.10008.5.1.4.1.1.66", "Raw Data Storage"},
    {"1.2.840.10008.5.1.4.1.1.66.1", "Spatial Registration Storage"},
    {"1.2.840.10008.5.1.4.1.1.66.2", "Spatial Fiducials Storage"},
    {"1.2.840.10008.5.1.4.1.1.66.3", "Deformable Spatial Registration Storage"},
    {"1.2.840.10008.5.1.4.1.1.66.4", "Segmentation Storage"},
    {"1.2.840.10008.5.1.4.1.1.66.5", "Surface Segmentation Storage"},
    {"1.2.840.10008.5.1.4.1.1.67", "Real World Value Mapping Storage"},
    {"1.2.840.10008.5.1.4.1.1.30", "Parametric Map Storage"},
    /* storage: radiotherapy */
    {"1.2.840.10008.5.1.4.1.1.481.1", "RT Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.481.2", "RT Dose Storage"},
    {"1.2.840.10008.5.1.4.1.1.481.3", "RT Structure Set Storage"},
    {"1.2.840.10008.5.1.4.1.1.481.4", "RT Beams Treatment Record Storage"},
    {"1.2.840.10008.5.1.4.1.1.481.5", "RT Plan Storage"},
    {"1.2.840.10008.5.1.4.1.1.481.6", "RT Brachy Treatment Record Storage"},
    {"1.2.840.10008.5.1.4.1.1.481.7", "RT Treatment Summary Record Storage"},
    {"1.2.840.10008.5.1.4.1.1.481.8", "RT Ion Plan Storage"},
    {"1.2.840.10008.5.1.4.1.1.481.9", "RT Ion Beams Treatment Record Storage"},
    /* query/retrieve and worklist */
    {"1.2.840.10008.5.1.4.1.2.1.1", "Patient Root Query/Retrieve Information Model - FIND"},
    {"1.2.840.10008.5.1.4.1.2.1.2", "Patient Root Query/Retrieve Information Model - MOVE"},
    {"1.2.840.10008.5.1.4.1.2.1.3", "Patient Root Query/Retrieve Information Model - GET"},
    {"1.2.840.10008.5.1.4.1.2.2.1", "Study Root Query/Retrieve Information Model - FIND"},
    {"1.2.840.10008.5.1.4.1.2.2.2", "Study Root Query/Retrieve Information Model - MOVE"},
    {"1.2.840.10008.5.1.4.1.2.2.3", "Study Root Query/Retrieve Information Model - GET"},
    {"1.2.840.10008.5.1.4.1.2.3.1", "Patient/Study Only Query/Retrieve Information Model - FIND"},
    {"1.2.840.10008.5.1.4.1.2.3.2", "Patient/Study Only Query/Retrieve Information Model - MOVE"},
    {"1.2.840.10008.5.1.4.1.2.3.3", "Patient/Study Only Query/Retrieve Information Model - GET"},
    {"1.2.840.10008.5.1.4.1.2.4.2", "Composite Instance Root Retrieve - MOVE"},
    {"1.2.840.10008.5.1.4.1.2.4.3", "Composite Instance Root Retrieve - GET"},
    {"1.2.840.10008.5.1.4.1.2.5.3", "Composite Instance Retrieve Without Bulk Data - GET"},
    {"1.2.840.10008.5.1.4.31", "Modality Worklist Information Model - FIND"},
    {"1.2.840.10008.5.1.4.38.1", "Hanging Protocol Storage"},
};

#define DICOM_N_UIDS (sizeof(dicom_uids) / sizeof(dicom_uids[0]))

uint16_t dicom_uid_find(const uint8_t *uid, size_t len)
{
    for (size_t i = 0; i < DICOM_N_UIDS; i++) {
        const char *u = dicom_uids[i].uid;

        if (strlen(u) == len && memcmp(u, uid, len) == 0) {
            return (uint16_t)(i + 1);
        }
    }
    return DICOM_UID_NONE;
}

const char *dicom_uid_name(uint16_t idx)
{
    return idx >= 1 && idx <= DICOM_N_UIDS ? dicom_uids[idx - 1].name : NULL;
}

const char *dicom_uid_string(uint16_t idx)
{
    return idx >= 1 && idx <= DICOM_N_UIDS ? dicom_uids[idx - 1].uid : NULL;
}

size_t dicom_uid_count(void)
{
    return DICOM_N_UIDS;
}
